import Foundation

/// Expands a glob (`*`, `?`, `[…]`, and `**` across directories) to the regular files it matches.
///
/// Walks from the longest wildcard-free directory prefix without following symbolic links to directories (a link
/// loop cannot trap it); FIFOs, sockets, devices and directories are never returned.
public struct GlobMatcher: Sendable {
    public let pattern: String
    let base: String
    let maxDepth: Int
    private let regex: NSRegularExpression

    public init(_ pattern: String) throws {
        self.pattern = pattern
        let components = pattern.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let firstWild = components.firstIndex { $0.contains(where: { "*?[".contains($0) }) } ?? components.count - 1
        var b = components[..<firstWild].joined(separator: "/")
        if b.isEmpty { b = pattern.hasPrefix("/") ? "/" : "." }
        base = b
        maxDepth = pattern.contains("**") ? 32 : components.count - firstWild
        var re = "^"
        var chars = Array(pattern)
        if !pattern.hasPrefix("/") && base == "." { chars = Array("./") + chars }
        var i = 0
        while i < chars.count {
            let c = chars[i]
            switch c {
            case "*":
                if i + 1 < chars.count, chars[i + 1] == "*" {
                    if i + 2 < chars.count, chars[i + 2] == "/" { re += "(?:.*/)?"; i += 3; continue }
                    re += ".*"; i += 2; continue
                }
                re += "[^/]*"
            case "?": re += "[^/]"
            case "[":
                if let close = chars[(i + 1)...].firstIndex(of: "]") {
                    var set = String(chars[(i + 1)..<close])
                    if set.hasPrefix("!") { set = "^" + set.dropFirst() }
                    re += "[" + set.replacingOccurrences(of: "\\", with: "\\\\") + "]"
                    i = close + 1
                    continue
                }
                re += "\\["
            default: re += NSRegularExpression.escapedPattern(for: String(c))
            }
            i += 1
        }
        regex = try NSRegularExpression(pattern: re + "$")
    }

    /// The regular files matching now, sorted.
    public func expand() -> [String] {
        var out: [String] = []
        walk(base, depth: 0, into: &out)
        return out.sorted()
    }

    public func matches(_ path: String) -> Bool {
        let p = (pattern.hasPrefix("/") || base != "." || path.hasPrefix("./")) ? path : "./" + path
        return regex.firstMatch(in: p, range: NSRange(p.startIndex..., in: p)) != nil
    }

    private func walk(_ dir: String, depth: Int, into out: inout [String]) {
        guard depth < maxDepth, let d = opendir(dir) else { return }
        defer { closedir(d) }
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            if name == "." || name == ".." { continue }
            let path = dir == "/" ? "/" + name : dir + "/" + name
            var st = stat()
            guard lstat(path, &st) == 0 else { continue }
            switch st.st_mode & S_IFMT {
            case S_IFDIR: walk(path, depth: depth + 1, into: &out)
            case S_IFREG: if matches(path) { out.append(path) }
            case S_IFLNK:
                // A link to a regular file is followed; a link to a directory is not (no loops).
                var target = stat()
                if stat(path, &target) == 0, target.st_mode & S_IFMT == S_IFREG, matches(path) { out.append(path) }
            default: continue
            }
        }
    }
}
