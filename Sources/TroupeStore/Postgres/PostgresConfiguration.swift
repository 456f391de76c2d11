/// How to connect to PostgreSQL.
///
/// Every session also gets settings the driver relies on, which a server's defaults cannot
/// override: `synchronous_commit=on` (a COMMIT returns only once its WAL record is flushed,
/// so an acknowledged write survives a server crash; the server's `fsync` must be on too),
/// `extra_float_digits=3` (floats come back as the shortest text that round-trips exactly),
/// `bytea_output=hex`, and client encoding UTF-8.
public struct PostgresConfiguration: Sendable, Hashable {
    /// A libpq connection string, URI or `key=value` form:
    /// `postgresql://troupe@127.0.0.1:5432/troupe`. The password, when needed, can come from
    /// the URI, `PGPASSWORD` or `~/.pgpass`, as libpq does.
    public var url: String
    /// How long establishing (or re-establishing) a connection may take. libpq counts whole
    /// seconds and at least two.
    public var connectTimeout: Duration
    /// The server-side limit on one statement, or nil for the server's default. A statement
    /// past it fails with ``DatabaseError/Kind/timeout``.
    public var statementTimeout: Duration?
    /// Further session settings, sent as `-c name=value` at connect time (and again after a
    /// reconnect), e.g. `["search_path": "troupe"]`. They override the URL's `options`.
    public var settings: [String: String]
    /// How many prepared statements a connection keeps (least recently used deallocated).
    public var statementCacheCapacity: Int
    /// Shown in `pg_stat_activity`, to tell Troupe's connections from others.
    public var applicationName: String

    /// A configuration for the server at `url`.
    public init(
        url: String,
        connectTimeout: Duration = .seconds(5),
        statementTimeout: Duration? = nil,
        settings: [String: String] = [:],
        statementCacheCapacity: Int = 64,
        applicationName: String = "troupe"
    ) {
        self.url = url
        self.connectTimeout = connectTimeout
        self.statementTimeout = statementTimeout
        self.settings = settings
        self.statementCacheCapacity = statementCacheCapacity
        self.applicationName = applicationName
    }

    /// The session settings, the driver's own last so they win.
    var sessionSettings: [(name: String, value: String)] {
        var all = settings.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
        if let statementTimeout {
            all.append((name: "statement_timeout", value: "\(max(1, statementTimeout.wholeMilliseconds))"))
        }
        all.append((name: "synchronous_commit", value: "on"))
        all.append((name: "extra_float_digits", value: "3"))
        all.append((name: "bytea_output", value: "hex"))
        return all
    }

    /// The libpq `options` value: `-c name=value` pairs, with spaces and backslashes
    /// escaped the way libpq splits that string.
    var optionsValue: String {
        sessionSettings.map { setting in
            let escaped = "\(setting.name)=\(setting.value)".flatMap { character -> [Character] in
                character == " " || character == "\\" ? ["\\", character] : [character]
            }
            return "-c \(String(escaped))"
        }.joined(separator: " ")
    }

    /// libpq's `connect_timeout`: whole seconds, rounded up.
    var connectTimeoutSeconds: Int64 {
        max(1, (connectTimeout.wholeMilliseconds + 999) / 1000)
    }
}
