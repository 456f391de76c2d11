public import TroupeBackend

/// Why a command line was refused. Every case is a usage or configuration fault, so the
/// executable prints ``description`` (one line, never a secret) to standard error and exits
/// with ``exitCode`` (2).
public enum CLIError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A subcommand `troupe` does not have.
    case unknownCommand(String)
    /// A flag the command does not have (as written, e.g. `--prot`).
    case unknownFlag(String, command: String)
    /// A flag that takes a value came last, without one.
    case missingValue(flag: String)
    /// A flag that is not repeatable was given more than once.
    case repeatedFlag(String)
    /// A positional argument the command does not take.
    case unexpectedArgument(String, command: String)
    /// A value its flag (or the flag's environment variable, when `environment` is set)
    /// refuses; `reason` says what is expected.
    case badValue(flag: String, value: String, reason: String, environment: String?)
    /// An environment-only setting with a bad value (the value is not repeated: it may be a secret).
    case badEnvironment(variable: String, reason: String)
    /// The progression tree file could not be read (missing, unreadable, not UTF-8).
    case treeUnreadable(path: String, reason: String)
    /// The progression tree file is larger than the cap (``TreeFile/maxBytes``).
    case treeTooLarge(path: String, maxBytes: Int)
    /// The progression tree file does not parse; the error names the line and the field.
    case treeInvalid(path: String, error: ProgressionTreeError)
    /// Every value parsed, yet the settings together are refused (e.g. a soft limit above
    /// its hard limit).
    case invalidConfiguration(String)

    /// The process exit code for this error: 2, a usage or configuration fault.
    public var exitCode: Int32 { 2 }

    /// One line for the operator, naming the flag or file at fault and what was expected.
    public var description: String {
        switch self {
        case .unknownCommand(let name):
            return "unknown command \(quoted(name)) (see troupe --help)"
        case .unknownFlag(let flag, let command):
            return "unknown flag \(quoted(flag)) for \(command) (see \(command) --help)"
        case .missingValue(let flag):
            return "flag --\(flag) needs a value"
        case .repeatedFlag(let flag):
            return "flag --\(flag) given more than once"
        case .unexpectedArgument(let argument, let command):
            return "unexpected argument \(quoted(argument)) for \(command) (see \(command) --help)"
        case .badValue(let flag, let value, let reason, let environment):
            let source = environment.map { "\($0) (--\(flag))" } ?? "--\(flag)"
            return "bad value \(quoted(value)) for \(source): \(reason)"
        case .badEnvironment(let variable, let reason):
            return "bad \(variable): \(reason)"
        case .treeUnreadable(let path, let reason):
            return "cannot read tree file \(quoted(path)): \(reason)"
        case .treeTooLarge(let path, let maxBytes):
            return "tree file \(quoted(path)) is larger than \(maxBytes) bytes"
        case .treeInvalid(let path, let error):
            return "tree file \(quoted(path)): \(error.description)"
        case .invalidConfiguration(let reason):
            return "invalid configuration: \(reason)"
        }
    }
}

/// `text` in double quotes with newlines and quotes escaped, so a message stays one line
/// whatever the operator typed.
func quoted(_ text: String) -> String {
    text.debugDescription
}
