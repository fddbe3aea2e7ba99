import ArgumentParser
import Foundation

/// Runs the file's flags, alone, through `run`'s own parsing and validation, and names the key a refusal is about.
///
/// The file is checked on its own (not merged with the command line) so that a refusal belongs to the file and a
/// file that passes `logpipe validate` passes the same way under `run` and on reload.
enum ConfigFlagCheck {
    static func check(_ settings: [ConfigFile.Setting], file: String) throws {
        do {
            _ = try RunCommand.parse(settings.flatMap(\.arguments))
        } catch {
            let message = RunCommand.message(for: error)
            if let setting = culprit(of: message, among: settings) {
                throw ConfigError.rejected(setting.key.path, line: setting.line, flagMessage: message, file: file)
            }
            throw ConfigError(file: file, message: message)
        }
    }

    /// The setting whose flag the message names first (`--urgent` must not match inside `--urgent-level`).
    static func culprit(of message: String, among settings: [ConfigFile.Setting]) -> ConfigFile.Setting? {
        var best: (position: Int, setting: ConfigFile.Setting)?
        for setting in settings {
            guard let position = firstPosition(of: setting.key.flag, in: message) else { continue }
            if best == nil || position < best!.position { best = (position, setting) }
        }
        return best?.setting
    }

    private static func firstPosition(of flag: String, in message: String) -> Int? {
        let text = Array(message.utf8), needle = Array(flag.utf8)
        guard text.count >= needle.count else { return nil }
        for start in 0...(text.count - needle.count) where text[start..<(start + needle.count)].elementsEqual(needle) {
            let end = start + needle.count
            if end == text.count { return start }
            let next = text[end]
            let continuesName = (next >= 0x61 && next <= 0x7A) || (next >= 0x30 && next <= 0x39) || next == 0x2D
            if !continuesName { return start }
        }
        return nil
    }
}
