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
        /// Masked tokens, each followed by ``separator``.
        var output: [UInt8] = []
        /// Start offset in `output` of each token.
        var starts: [Int] = []
        /// Token ranges in the input message.
        var spans: [Range<Int>] = []

        static let separator: UInt8 = 0x1F

        /// Token `i` of the output (without separator).
        func token(_ i: Int) -> ArraySlice<UInt8> {
            let end = i + 1 < starts.count ? starts[i + 1] - 1 : output.count - 1
            return output[starts[i]..<end]
        }

        func tokens() -> [String] {
            starts.indices.map { String(decoding: token($0), as: UTF8.self) }
        }
    }

    /// Masks a UTF-8 message into `scratch` (cleared first).
    func mask(_ bytes: UnsafeBufferPointer<UInt8>, into scratch: inout Scratch) {
        // Work on local arrays (moved out of `scratch`) so appends stay cheap.
        var output = scratch.output
        var starts = scratch.starts
        var spans = scratch.spans
        scratch = Scratch()
        output.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        spans.removeAll(keepingCapacity: true)
        TokenSpans.split(bytes, joinQuotes: masking.quoted, into: &spans)
        let numbers = masking.numbers
        var previousWasStar = false
        var calendar = false
        for k in 0..<spans.count {
            let start = output.count
            starts.append(start)
            let token = bytes[spans[k]]
            if numbers, previousWasStar, let suffix = TokenMasking.unitSuffixLength(token) {
                output.append(0x3C); output.append(0x2A); output.append(0x3E)
                TokenMasking.append(token[(token.endIndex - suffix)...], to: &output)
            } else {
                masking.mask(token, into: &output)
            }
            let isStar = output.count - start == 3 && output[start] == 0x3C
                && output[start + 1] == 0x2A && output[start + 2] == 0x3E
            if numbers && !calendar {
                if previousWasStar && !isStar && CalendarWords.isName(token) { calendar = true }
                if isStar && k > 0 && CalendarWords.isName(bytes[spans[k - 1]]) { calendar = true }
            }
            previousWasStar = isStar
            output.append(Scratch.separator)
        }
        scratch = Scratch(output: output, starts: starts, spans: spans)
        if calendar { maskDates(bytes, &scratch) }
    }

    /// Masks month and weekday names next to masked tokens.
    func maskDates(_ bytes: UnsafeBufferPointer<UInt8>, _ scratch: inout Scratch) {
        let n = scratch.starts.count
        let isName = scratch.spans.map { CalendarWords.isName(bytes[$0]) }
        let isMasked = (0..<n).map { scratch.token($0).elementsEqual(TokenMasking.star) }
        let toMask = CalendarWords.namesToMask(isName: isName, isMasked: isMasked)
        guard toMask.contains(true) else { return }
        var output: [UInt8] = []
        var starts: [Int] = []
        for i in 0..<n {
            starts.append(output.count)
            if toMask[i] { output.append(contentsOf: TokenMasking.star) } else { output.append(contentsOf: scratch.token(i)) }
            output.append(Scratch.separator)
        }
        scratch.output = output
        scratch.starts = starts
    }
}
