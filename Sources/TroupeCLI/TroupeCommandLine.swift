import Glibc

/// The `troupe` executable's command line: its subcommands, `--help`, and the environment.
/// The executable calls ``parse(_:environment:)`` with `CommandLine.arguments.dropFirst()`
/// and ``processEnvironment()``; on ``CLIError`` it prints the description to standard error
/// and exits with ``CLIError/exitCode`` (2); on `.help` it prints the text and exits 0.
public enum TroupeCommandLine {
    /// What the command line asks for.
    public enum Invocation: Sendable {
        /// Print this text to standard output and exit 0.
        case help(String)
        /// Start the server with these options.
        case serve(ServeOptions)
    }

    /// The subcommands and their one-line summaries, in `--help` order.
    public static let subcommands: [(name: String, summary: String)] = [
        ("serve", ServeOptions.summary),
    ]

    /// `troupe --help`: the subcommands.
    public static var help: String {
        var text = "USAGE: troupe <subcommand> [<flags>]\n\nTroupe: a chat server on an actor runtime, spoken to with redis-cli or nc.\n\nSUBCOMMANDS:\n"
        let width = (subcommands.map(\.name.count).max() ?? 0) + 4
        for (name, summary) in subcommands {
            text += "  " + name + String(repeating: " ", count: width - name.count) + summary + "\n"
        }
        text += "\nSee 'troupe <subcommand> --help' for its flags. Exit codes: 0 done, 1 failed at run time, 2 bad command line or configuration.\n"
        return text
    }

    /// What `arguments` (those after the program's name) ask for. No arguments, `--help`,
    /// `-h` or `help` print ``help``.
    ///
    /// - Throws: ``CLIError``, one line for the operator.
    public static func parse(_ arguments: [String], environment: [String: String]) throws(CLIError) -> Invocation {
        guard let first = arguments.first, !["--help", "-h", "help"].contains(first) else { return .help(help) }
        switch first {
        case "serve":
            guard let options = try ServeOptions.parse(Array(arguments.dropFirst()), environment: environment) else {
                return .help(ServeOptions.help)
            }
            return .serve(options)
        default:
            if first.hasPrefix("-") { throw .unknownFlag(first, command: "troupe") }
            throw .unknownCommand(first)
        }
    }

    /// The process's environment variables (the first of duplicate names wins, as `getenv`).
    public static func processEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        var cursor = environ
        while let entry = cursor.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                let name = String(text[..<equals])
                if result[name] == nil { result[name] = String(text[text.index(after: equals)...]) }
            }
            cursor += 1
        }
        return result
    }
}
