public import Troupe

/// How to connect to PostgreSQL.
///
/// Every session also gets settings the driver relies on, which a server's defaults cannot
/// override: `synchronous_commit=on` (a COMMIT returns only once its WAL record is flushed,
/// so an acknowledged write survives a server crash; the server's `fsync` must be on too),
/// `extra_float_digits=3` (floats come back as the shortest text that round-trips exactly),
/// `bytea_output=hex`, and client encoding UTF-8.
///
/// # Defaults that bound a hung or vanished server
/// - `statementTimeout` 30 s: the server ends a statement that runs longer (`57014`,
///   `timeout`), so a connection is never held for ever by a statement stuck on a lock or a
///   stalled disk, and the pool's breaker sees the hang (it counts such timeouts).
/// - `keepalive` 30 s idle, then a probe every 10 s, 3 unanswered probes: a server that
///   vanished without closing the connection (host crash, network partition) is noticed in
///   about a minute instead of the operating system's default of over two hours; the call
///   then fails `unavailable` or `transient` and the driver reconnects.
///
/// Every setting is checked by ``validate()``: the pool's `childSpec` throws its
/// `ConfigurationError`, and connecting directly throws a ``DatabaseError`` (`other`)
/// naming the setting.
public struct PostgresConfiguration: Sendable, Hashable {
    /// TCP keepalive on the connection's socket (libpq's `keepalives_idle`,
    /// `keepalives_interval`, `keepalives_count`; whole seconds).
    public struct Keepalive: Sendable, Hashable {
        /// How long the connection may be silent before the first probe.
        public var idle: Duration
        /// Between unanswered probes.
        public var interval: Duration
        /// Unanswered probes after which the connection counts as dead.
        public var count: Int

        /// 30 s idle, a probe every 10 s, dead after 3 unanswered: about a minute.
        public init(idle: Duration = .seconds(30), interval: Duration = .seconds(10), count: Int = 3) {
            self.idle = idle
            self.interval = interval
            self.count = count
        }
    }

    /// A libpq connection string, URI or `key=value` form:
    /// `postgresql://troupe@127.0.0.1:5432/troupe`. The password, when needed, can come from
    /// the URI, `PGPASSWORD` or `~/.pgpass`, as libpq does.
    public var url: String
    /// How long establishing (or re-establishing) a connection may take. libpq counts whole
    /// seconds and at least two.
    public var connectTimeout: Duration
    /// The server-side limit on one statement (30 s by default), or nil for the server's
    /// default (none, unless the server sets one). A statement past it fails with
    /// ``DatabaseError/Kind/timeout``. Rounded down to whole milliseconds, at least 1.
    public var statementTimeout: Duration?
    /// TCP keepalive timing (see ``Keepalive``), or nil for libpq's default: keepalives on,
    /// timed by the operating system (Linux: first probe after 2 hours).
    public var keepalive: Keepalive?
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
        statementTimeout: Duration? = .seconds(30),
        keepalive: Keepalive? = Keepalive(),
        settings: [String: String] = [:],
        statementCacheCapacity: Int = 64,
        applicationName: String = "troupe"
    ) {
        self.url = url
        self.connectTimeout = connectTimeout
        self.statementTimeout = statementTimeout
        self.keepalive = keepalive
        self.settings = settings
        self.statementCacheCapacity = statementCacheCapacity
        self.applicationName = applicationName
    }

    /// Checks every setting.
    ///
    /// - Throws: `ConfigurationError` if `connectTimeout` or `statementTimeout` is not
    ///   positive, a keepalive duration is under one second (libpq counts whole seconds; 0
    ///   would mean the system default), the keepalive count or `statementCacheCapacity` is
    ///   below 1.
    public func validate() throws(ConfigurationError) {
        if connectTimeout <= .zero { throw .invalidDuration(setting: "postgres connect timeout", value: connectTimeout) }
        if let statementTimeout, statementTimeout <= .zero {
            throw .invalidDuration(setting: "postgres statement timeout (nil for the server's default)", value: statementTimeout)
        }
        if let keepalive {
            if keepalive.idle < .seconds(1) { throw .invalidDuration(setting: "postgres keepalive idle (whole seconds, at least 1)", value: keepalive.idle) }
            if keepalive.interval < .seconds(1) {
                throw .invalidDuration(setting: "postgres keepalive interval (whole seconds, at least 1)", value: keepalive.interval)
            }
            if keepalive.count < 1 { throw .notPositive(setting: "postgres keepalive count", value: keepalive.count) }
        }
        if statementCacheCapacity < 1 { throw .notPositive(setting: "postgres statement cache capacity", value: statementCacheCapacity) }
    }

    /// libpq connection keywords and values beyond the URL (which comes first).
    var connectionParameters: [(keyword: String, value: String)] {
        var parameters = [
            (keyword: "connect_timeout", value: "\(connectTimeoutSeconds)"),
            (keyword: "client_encoding", value: "UTF8"),
            (keyword: "application_name", value: applicationName),
            (keyword: "options", value: optionsValue),
        ]
        if let keepalive {
            parameters += [
                (keyword: "keepalives", value: "1"),
                (keyword: "keepalives_idle", value: "\(keepalive.idle.components.seconds)"),
                (keyword: "keepalives_interval", value: "\(keepalive.interval.components.seconds)"),
                (keyword: "keepalives_count", value: "\(keepalive.count)"),
            ]
        }
        return parameters
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
