import Foundation

/// Replaces the variable parts of a log message with `<*>`.
///
/// A pure, stateless transformation used by ``TemplateMiner`` before grouping.
/// The message is split on whitespace and every token is masked on its own:
///
/// * URLs (`scheme://...`), e-mail addresses, host names, MAC addresses and
///   file paths (`/a/b`, `./a`, `~/a`)
///   become `<*>` (surrounding brackets and punctuation are kept);
/// * quoted values (`'x'`, `"x y"`) become `'<*>'` / `"<*>"` when ``Kinds/quoted`` is on;
/// * `key=value` keeps the key and masks the value when ``Kinds/keyValues`` is on;
/// * UUIDs, `0x` hex, IPv4 addresses (with port), numbers, and numbers with a
///   unit (`12ms`, `3.5s`, `64KB`) become `<*>`; more generally any alphanumeric
///   run that contains a digit is a variable, and runs of variables joined by
///   `.` `:` `-` `_` `,` `/` `+` collapse into one `<*>`; a size or time unit
///   written as its own token after a number (`5.2 KB`, `30 ms`) is masked too,
///   and so are month and weekday names next to a number (`Fri Jun 17 07:07:00`).
public struct VariableMasker: Sendable {
    /// The kinds of variables that are masked.
    public struct Kinds: OptionSet, Sendable, Hashable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// Numbers, numbers with units, IPs, hex and any alphanumeric run with a digit.
        public static let numbers = Kinds(rawValue: 1 << 0)
        /// UUIDs, even when written without digits in a group.
        public static let uuids = Kinds(rawValue: 1 << 1)
        /// Absolute or relative file paths with at least two components.
        public static let paths = Kinds(rawValue: 1 << 2)
        /// URLs of the form `scheme://...`.
        public static let urls = Kinds(rawValue: 1 << 3)
        /// E-mail addresses.
        public static let emails = Kinds(rawValue: 1 << 4)
        /// Whole values in single or double quotes, even spanning spaces.
        public static let quoted = Kinds(rawValue: 1 << 5)
        /// The value of every `key=value` token.
        public static let keyValues = Kinds(rawValue: 1 << 6)
        /// DNS host names (`node-7.example.com`, `db.lab.local:5432`).
        public static let hostnames = Kinds(rawValue: 1 << 7)
        /// Everything.
        public static let all: Kinds = [.numbers, .uuids, .paths, .urls, .emails, .quoted, .keyValues, .hostnames]
        /// What ``TemplateMiner`` uses: everything except whole quoted values and
        /// `key=value` values without digits, which often name a constant (a service,
        /// a state, a user class) that distinguishes events.
        public static let grouping: Kinds = [.numbers, .uuids, .paths, .urls, .emails, .hostnames]
    }

    /// The placeholder written for a variable.
    public static let wildcard = "<*>"

    /// The kinds masked by this masker.
    public let kinds: Kinds
    let masking: TokenMasking

    /// Creates a masker for the given kinds (all by default).
    public init(kinds: Kinds = .all) {
        self.kinds = kinds
        self.masking = TokenMasking(kinds: kinds)
    }

    /// The message with variables replaced by `<*>`, tokens joined by one space.
    public func mask(_ message: String) -> String {
        maskedTokens(message).joined(separator: " ")
    }

    /// The whitespace-separated tokens of the message, each masked.
    public func maskedTokens(_ message: String) -> [String] {
        var scratch = Scratch()
        var text = message
        text.withUTF8 { mask($0, into: &scratch) }
        return scratch.tokens()
    }

    /// Reusable buffers for ``mask(_:into:)``.
    struct Scratch: Sendable {
        /// Masked tokens in `buffer[0..<length]`, each followed by ``separator``.
        var buffer: [UInt8] = []
        var length = 0
        /// Start offset in the output of each token.
        var starts: [Int] = []

        static let separator: UInt8 = 0x1F

        /// The masked tokens, each followed by ``separator``.
        var output: ArraySlice<UInt8> { buffer[0..<length] }

        /// Token `i` of the output (without separator).
        func token(_ i: Int) -> ArraySlice<UInt8> {
            let end = i + 1 < starts.count ? starts[i + 1] - 1 : length - 1
            return buffer[starts[i]..<end]
        }

        func tokens() -> [String] {
            starts.indices.map { String(decoding: token($0), as: UTF8.self) }
        }
    }

    /// Bit set in ``classes`` for whitespace; the low byte holds ``TokenMasking/Features``.
    static let spaceClass: UInt16 = 0x100

    /// Per byte value: ``spaceClass`` for whitespace (space, TAB to CR), else its feature bits.
    static let classes: [UInt16] = (0...255).map { b in
        b == 0x20 || (0x09...0x0D).contains(b) ? spaceClass : UInt16(TokenMasking.Features.table[b])
    }

    /// Masks a UTF-8 message into `scratch` (cleared first).
    ///
    /// One pass: tokens are found, their features gathered and masked as the
    /// bytes are scanned, into a buffer sized for the worst case up front.
    func mask(_ bytes: UnsafeBufferPointer<UInt8>, into scratch: inout Scratch) {
        var buffer = scratch.buffer
        var starts = scratch.starts
        scratch = Scratch()
        let needed = 4 * bytes.count + 16
        if buffer.count < needed { buffer = [UInt8](repeating: 0, count: max(needed, 2 * buffer.count, 4096)) }
        starts.removeAll(keepingCapacity: true)
        var calendar = false
        let length = buffer.withUnsafeMutableBufferPointer { buf in
            Self.classes.withUnsafeBufferPointer { table in
                maskTokens(bytes, table: table, into: MaskOutput(base: buf.baseAddress!, capacity: buf.count),
                           starts: &starts, calendar: &calendar)
            }
        }
        scratch = Scratch(buffer: buffer, length: length, starts: starts)
        if calendar { maskDates(bytes, &scratch) }
    }

    /// The scanning loop of ``mask(_:into:)``; returns the output length.
    private func maskTokens(_ bytes: UnsafeBufferPointer<UInt8>, table: UnsafeBufferPointer<UInt16>,
                            into output: MaskOutput, starts: inout [Int], calendar: inout Bool) -> Int {
        var out = output
        let numbers = masking.numbers
        let n = bytes.count
        var previousWasStar = false
        var previous = 0..<0
        var i = 0
        while i < n {
            while i < n && table[Int(bytes[i])] & Self.spaceClass != 0 { i += 1 }
            if i >= n { break }
            var end = i
            var classes: UInt16 = 0
            while end < n {
                let c = table[Int(bytes[end])]
                if c & Self.spaceClass != 0 { break }
                classes |= c
                end += 1
            }
            if masking.quoted, let joined = TokenSpans.quotedEnd(bytes, start: i, tokenEnd: end) {
                end = joined
                classes = 0
                for k in i..<end { classes |= table[Int(bytes[k])] }
            }
            let start = out.count
            starts.append(start)
            let token = bytes[i..<end]
            if numbers, previousWasStar, let suffix = TokenMasking.unitSuffixLength(token) {
                out.appendStar()
                out.append(token[(token.endIndex - suffix)...])
            } else {
                masking.mask(token, features: TokenMasking.Features(rawValue: UInt8(truncatingIfNeeded: classes)),
                             into: &out)
            }
            let isStar = out.count - start == 3 && out.isStar(at: start)
            if numbers && !calendar {
                if previousWasStar && !isStar && CalendarWords.isName(token) { calendar = true }
                if isStar && !previous.isEmpty && CalendarWords.isName(bytes[previous]) { calendar = true }
            }
            previousWasStar = isStar
            previous = i..<end
            out.append(Scratch.separator)
            i = end
        }
        return out.count
    }

    /// Masks month and weekday names next to masked tokens, in place (a name
    /// becomes `<*>`, never longer than the name).
    func maskDates(_ bytes: UnsafeBufferPointer<UInt8>, _ scratch: inout Scratch) {
        var spans: [Range<Int>] = []
        TokenSpans.split(bytes, joinQuotes: masking.quoted, into: &spans)
        let n = scratch.starts.count
        guard spans.count == n else { return }
        var isName = [Bool](repeating: false, count: n)
        var isMasked = [Bool](repeating: false, count: n)
        for i in 0..<n {
            isName[i] = CalendarWords.isName(bytes[spans[i]])
            let start = scratch.starts[i]
            let end = i + 1 < n ? scratch.starts[i + 1] - 1 : scratch.length - 1
            isMasked[i] = end - start == 3 && scratch.buffer[start] == 0x3C && scratch.buffer[start + 1] == 0x2A
                && scratch.buffer[start + 2] == 0x3E
        }
        let toMask = CalendarWords.namesToMask(isName: isName, isMasked: isMasked)
        guard toMask.contains(true) else { return }
        var write = 0
        for i in 0..<n {
            let start = scratch.starts[i]
            let end = i + 1 < n ? scratch.starts[i + 1] : scratch.length
            scratch.starts[i] = write
            if toMask[i] {
                scratch.buffer[write] = 0x3C; scratch.buffer[write + 1] = 0x2A; scratch.buffer[write + 2] = 0x3E
                scratch.buffer[write + 3] = Scratch.separator
                write += 4
            } else {
                for k in start..<end { scratch.buffer[write] = scratch.buffer[k]; write += 1 }
            }
        }
        scratch.length = write
    }
}
