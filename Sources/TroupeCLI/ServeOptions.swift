import Troupe
public import TroupeBackend
import TroupeStore

/// What `troupe serve` starts from: the backend's configuration and the TCP front's settings,
/// read from the flags of ``flags``, their environment variables (`TROUPE_PORT`, ...; a flag
/// wins over its variable) and `TROUPE_ADMIN_PASSWORD`, which has no flag so the password
/// never shows in `ps`.
public struct ServeOptions: Sendable {
    /// Everything the backend starts from. The database defaults to `sqlite:./troupe.db`.
    public var backend: BackendConfiguration
    /// The TCP front's settings (map to `ServerConfiguration` with one function).
    public var server = ServerSettings()
    /// The tree file given with `--tree`, or nil for the standard tree.
    public var treePath: String?

    /// The command as typed, for messages.
    public static let command = "troupe serve"
    /// One line on what `serve` does, for both `--help` texts.
    public static let summary = "Start the chat server: the backend and its Redis-compatible TCP front."
    /// The environment-only setting of the admin accounts' password.
    public static let adminPasswordVariable = "TROUPE_ADMIN_PASSWORD"
    /// The bounds of an admin password, in bytes (PROTOCOL.md's password bounds).
    public static let adminPasswordBytes = 8...128

    /// The defaults: every setting's default, SQLite at `./troupe.db`, the standard tree.
    public init() {
        backend = BackendConfiguration()
        backend.database = .sqlite(SQLiteConfiguration(path: "./troupe.db"))
    }

    /// Every flag of `troupe serve`, with the defaults of ``init()``.
    public static var flags: [Flag] {
        let defaults = ServeOptions()
        return table.map { $0.flag(defaults: defaults) }
    }

    /// `troupe serve --help`: every flag with its default and environment variable, then the
    /// environment-only settings.
    public static var help: String {
        FlagParser.help(command: command, summary: summary, flags: flags) + """

            ENVIRONMENT:
              \(adminPasswordVariable)  The password of the admin accounts created at start (8 to 128 bytes; \
            no flag, so it never shows in ps). Unset: a random password, logged once.

            """
    }

    /// The options given by `parsed` (from ``FlagParser/parse(_:flags:command:)`` with ``flags``)
    /// and `environment`: flags first, then their variables, then the defaults; then the tree
    /// file is read and every setting checked together.
    ///
    /// - Throws: ``CLIError``: a bad value (naming its flag or variable), an unreadable,
    ///   oversized or malformed tree file, or settings that conflict.
    public init(parsed: FlagParser.Parsed, environment: [String: String]) throws(CLIError) {
        self.init()
        for option in Self.table {
            let flag = option.flag(defaults: self)
            let (values, source) = parsed.resolve(flag, environment: environment)
            for value in values {
                do {
                    try option.apply(&self, value)
                } catch {
                    throw .badValue(flag: flag.name, value: value, reason: error.reason, environment: source)
                }
            }
        }
        if let password = environment[Self.adminPasswordVariable], !password.isEmpty {
            guard Self.adminPasswordBytes.contains(password.utf8.count) else {
                throw .badEnvironment(variable: Self.adminPasswordVariable, reason: "must be 8 to 128 bytes")
            }
            backend.adminPassword = password
        }
        if let treePath {
            backend.tree = try TreeFile.load(path: treePath)
        }
        backend.logger = LogLine.standardError(minimum: backend.logLevel)
        do {
            try backend.validate()
        } catch {
            throw .invalidConfiguration(error.description)
        }
        try server.validate()
    }

    /// Parses `troupe serve`'s arguments (those after `serve`) and `environment`; nil when
    /// `--help` was asked for (print ``help``, exit 0).
    public static func parse(_ arguments: [String], environment: [String: String]) throws(CLIError) -> ServeOptions? {
        let parsed = try FlagParser.parse(arguments, flags: flags, command: command)
        if parsed.helpRequested { return nil }
        return try ServeOptions(parsed: parsed, environment: environment)
    }

    /// The start-up banner: one info line naming the address, the database (any password
    /// replaced by `***`), the tree, the admins and the main settings.
    public var banner: String {
        LogLine.format(level: .info, message: "troupe serve starting", fields: [
            ("address", server.address),
            ("db", ValueParser.redacted(backend.database)),
            ("tree", treePath ?? "standard"),
            ("tree_nodes", "\(backend.tree.nodes.count)"),
            ("admins", backend.admins.isEmpty ? "none" : backend.admins.map(\.value).joined(separator: ",")),
            ("fault_injection", "\(backend.faultInjection)"),
            ("loop_threads", "\(server.loopThreads)"),
            ("threads", "\(backend.threads)"),
            ("log_level", "\(backend.logLevel)"),
        ])
    }
}
