public import Troupe

/// The log format of `troupe`: one line per event on standard error,
/// `level=info msg="listening" address=127.0.0.1:7070`: the level, the message, then
/// `key=value` pairs in the order given. A value is written bare when it is non-empty and has
/// only printable ASCII other than space, `"`, `\` and `=`; otherwise in double quotes with `"`
/// and `\` escaped and control characters as `\n`, `\r`, `\t` or `\u{..}`, so every event is
/// exactly one line whatever it carries.
public enum LogLine {
    /// The line for one event, without its trailing newline.
    public static func format(level: LogLevel, message: String, fields: [(String, String)] = []) -> String {
        var line = "level=\(level) msg=" + quotedValue(message, always: true)
        for (key, value) in fields {
            line += " \(key)=" + quotedValue(value, always: false)
        }
        return line
    }

    /// A logger for ``TroupeBackend/BackendConfiguration/logger``: writes each event at or
    /// above `minimum` to standard error as ``format(level:message:fields:)`` with the
    /// message in `msg`, in one `write` so concurrent lines never interleave mid-line.
    public static func standardError(minimum: LogLevel) -> @Sendable (LogLevel, String) -> Void {
        { level, message in
            guard level >= minimum else { return }
            writeToStandardError(format(level: level, message: message) + "\n")
        }
    }

    /// `value` as it goes after `key=`: bare when safe, else quoted and escaped.
    static func quotedValue(_ value: String, always: Bool) -> String {
        let bare = !value.isEmpty && value.unicodeScalars.allSatisfy { scalar in
            scalar.value > 0x20 && scalar.value < 0x7F && scalar != "\"" && scalar != "\\" && scalar != "="
        }
        if bare && !always { return value }
        var text = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}" {
                    text += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    text.unicodeScalars.append(scalar)
                }
            }
        }
        return text + "\""
    }
}
