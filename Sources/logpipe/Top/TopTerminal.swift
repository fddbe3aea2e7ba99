import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The terminal under `logpipe top`: the alternate screen, keys read one at a time without echo (when stdin is a
/// terminal), and everything put back on `restore()` or Ctrl-C.
final class TopTerminal {
    /// The settings to put back, kept where the SIGINT handler (a C function) can reach them.
    nonisolated(unsafe) private static var saved: termios?
    private var restored = false

    init() {
        if isatty(0) != 0 {
            var t = termios()
            tcgetattr(0, &t)
            Self.saved = t
            t.c_lflag &= ~tcflag_t(ICANON | ECHO)
            tcsetattr(0, TCSANOW, &t)
        }
        signal(SIGINT) { _ in
            TopTerminal.putBack()
            _exit(0)
        }
        write("\u{1B}[?1049h\u{1B}[?25l")
    }

    var width: Int {
        var w = winsize()
        return ioctl(1, UInt(TIOCGWINSZ), &w) == 0 && w.ws_col > 0 ? Int(w.ws_col) : 100
    }

    func draw(_ lines: [String]) {
        write("\u{1B}[H\u{1B}[2J" + lines.joined(separator: "\r\n") + "\r\n")
    }

    /// Waits up to `millis` for a key; true when it was `q`.
    func waitForQuit(millis: Int) -> Bool {
        let deadline = Date().addingTimeInterval(Double(millis) / 1000)
        while true {
            let left = Int32(max(0, deadline.timeIntervalSinceNow * 1000))
            if left == 0 { return false }
            var pfd = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, left) > 0 else { continue }
            var byte: UInt8 = 0
            let n = read(0, &byte, 1)
            if n == 1, byte == UInt8(ascii: "q") || byte == UInt8(ascii: "Q") { return true }
            if n <= 0 { // stdin closed: only the interval paces the refresh now
                usleep(useconds_t(left) * 1000)
                return false
            }
        }
    }

    func restore() {
        guard !restored else { return }
        restored = true
        Self.putBack()
    }

    private static func putBack() {
        let text = "\u{1B}[?25h\u{1B}[?1049l"
        _ = text.withCString { Glibc.write(1, $0, strlen($0)) }
        if var t = saved { tcsetattr(0, TCSANOW, &t) }
    }

    private func write(_ s: String) {
        let bytes = Array(s.utf8)
        bytes.withUnsafeBytes { raw in
            var p = raw.baseAddress!, left = raw.count
            while left > 0 {
                let n = Glibc.write(1, p, left)
                if n < 0, errno == EINTR { continue }
                if n <= 0 { return }
                p += n; left -= n
            }
        }
    }
}
