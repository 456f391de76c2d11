/// The hand-written flag parser: the arguments of one command against its ``Flag`` table.
///
/// Accepted forms: `--name value`, `--name=value`, a boolean `--name` (or `--name=true`/
/// `--name=false`), a repeatable flag many times, and `--help`/`-h` anywhere. Everything else
/// is a ``CLIError`` naming the argument: an unknown flag, a value missing at the end, a
/// non-repeatable flag given twice, a positional argument. Values are checked later, by the
/// table's owner, so a bad value's error names its flag (or environment variable).
public enum FlagParser {
    /// The result: the values given per flag name, in order, and whether help was asked for.
    public struct Parsed: Sendable, Hashable {
        /// Values per flag name, as written; a boolean flag given bare has the value `true`.
        public var values: [String: [String]] = [:]
        /// Whether `--help` or `-h` appeared.
        public var helpRequested = false

        /// An empty result.
        public init() {}

        /// The values that apply to `flag`: the command line's if it appears there, else its
        /// environment variable's (split at commas when repeatable; an empty variable counts
        /// as absent), else none. `source` is the variable's name when the values came from it.
        public func resolve(_ flag: Flag, environment: [String: String]) -> (values: [String], source: String?) {
            if let given = values[flag.name] { return (given, nil) }
            guard let variable = flag.environment, let text = environment[variable], !text.isEmpty else { return ([], nil) }
            let values = flag.repeatable ? text.split(separator: ",").map { String($0) } : [text]
            return (values, variable)
        }
    }

    /// Parses `arguments` (those after the command's name) against `flags`.
    ///
    /// - Parameter command: the command as the user typed it, for messages (`troupe serve`).
    /// - Throws: ``CLIError`` for the first argument at fault, left to right.
    public static func parse(_ arguments: [String], flags: [Flag], command: String) throws(CLIError) -> Parsed {
        var parsed = Parsed()
        var byName: [String: Flag] = [:]
        for flag in flags { byName[flag.name] = flag }
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--help" || argument == "-h" {
                parsed.helpRequested = true
                continue
            }
            guard argument.hasPrefix("--"), argument.count > 2 else {
                if argument.hasPrefix("-") { throw .unknownFlag(argument, command: command) }
                throw .unexpectedArgument(argument, command: command)
            }
            let body = argument.dropFirst(2)
            let name: String
            var value: String?
            if let equals = body.firstIndex(of: "=") {
                name = String(body[..<equals])
                value = String(body[body.index(after: equals)...])
            } else {
                name = String(body)
            }
            guard let flag = byName[name] else { throw .unknownFlag("--" + name, command: command) }
            if flag.isBoolean {
                value = value ?? "true"
            } else if value == nil {
                guard index < arguments.count else { throw .missingValue(flag: name) }
                value = arguments[index]
                index += 1
            }
            if parsed.values[name] != nil, !flag.repeatable { throw .repeatedFlag(name) }
            parsed.values[name, default: []].append(value ?? "")
        }
        return parsed
    }

    /// The `--help` text of a command: usage, summary, and every flag with its placeholder,
    /// help, default and environment variable, in table order.
    public static func help(command: String, summary: String, flags: [Flag]) -> String {
        var text = "USAGE: \(command) [<flags>]\n\n\(summary)\n\nFLAGS:\n"
        let heads = flags.map { flag in
            "  --\(flag.name)" + (flag.placeholder.map { " " + $0 } ?? "") + (flag.repeatable ? " (repeatable)" : "")
        }
        let width = (heads.map(\.count).max() ?? 0) + 2
        for (flag, head) in zip(flags, heads) {
            var notes: [String] = []
            if let defaultText = flag.defaultText { notes.append("default: \(defaultText)") }
            if let environment = flag.environment { notes.append("env: \(environment)") }
            let padding = String(repeating: " ", count: width - head.count)
            text += head + padding + flag.help + (notes.isEmpty ? "" : " (" + notes.joined(separator: "; ") + ")") + "\n"
        }
        text += "  --help, -h" + String(repeating: " ", count: max(2, width - 12)) + "Show this help.\n"
        return text
    }
}
