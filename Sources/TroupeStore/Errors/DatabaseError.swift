import Troupe

/// Every failure of a driver or of migrations: what kind it is, what the database said, and
/// what a person can do about it.
///
/// The kind decides what the caller does next:
///
/// | kind                 | typical cause                                   | retry?  |
/// | -------------------- | ----------------------------------------------- | ------- |
/// | `uniqueViolation`    | a row with the same key exists                  | no      |
/// | `timeout`            | statement or lock timeout, interrupted, a deadline passed | no |
/// | `overloaded`         | refused before it ran: a queue was full         | no (later, or shed load) |
/// | `unavailable`        | cannot connect, server down, disk full/unreadable | no (the pool's breaker decides) |
/// | `transient`          | SQLITE_BUSY/LOCKED, PostgreSQL 40001/40P01, lost connection | yes |
/// | `incompatibleSchema` | the database's schema is newer than this binary | no      |
/// | `other`              | a bug in the SQL or its use, a constraint other than unique | no |
///
/// Only `transient` is ``isRetryable``: the work did not take effect because of a conflict
/// with concurrent work, or the connection dropped and was re-established. Whether running it
/// again is harmless is the caller's call: a whole transaction or an idempotent statement is;
/// a lone `INSERT` that may have committed just before the connection dropped is not.
public struct DatabaseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, in the terms a caller branches on.
    public enum Kind: Sendable, Hashable {
        /// A unique index or primary key refused the row. `constraint` is the index name,
        /// reported identically by both drivers (SQLite's is resolved from the columns; a
        /// primary key is `<table>_pkey`, as PostgreSQL names it).
        case uniqueViolation(constraint: String)
        /// A statement or lock timeout expired, the statement was interrupted, or a request's
        /// deadline passed while it waited (then it did not run).
        case timeout
        /// The request was refused before it ran: a queue was full (the pool's
        /// ``PoolOptions/maxWaiters``, the writer's ``WriterOptions/maxPending``, or an
        /// actor's mailbox). Nothing ran, so nothing took effect. Not retried by the pool and
        /// not counted against its circuit breaker: it is load, not the database's health.
        case overloaded
        /// The database cannot be reached or used at all right now.
        case unavailable
        /// A conflict with concurrent work, or a lost (and re-established) connection.
        case transient
        /// The database was migrated by a newer binary: its schema version is above the
        /// newest this binary knows.
        case incompatibleSchema(databaseVersion: Int, supportedVersion: Int)
        /// Anything else: SQL errors, other constraints, misuse of the API.
        case other
    }

    /// What kind of failure this is.
    public let kind: Kind
    /// What happened, mostly in the database's own words.
    public let reason: String
    /// The database's code: a PostgreSQL SQLSTATE (`"23505"`) or a SQLite extended result
    /// code (`"SQLITE 2067"`); nil for failures raised by Troupe itself.
    public let code: String?
    /// What a person can do about it.
    public let remedy: String

    /// A failure of `kind`, with the remedy for that kind unless one is given.
    public init(_ kind: Kind, reason: String, code: String? = nil, remedy: String? = nil) {
        self.kind = kind
        self.reason = reason
        self.code = code
        self.remedy = remedy ?? Self.defaultRemedy(for: kind)
    }

    /// True only for `transient` failures: running the same transaction (or idempotent
    /// statement) again is expected to succeed. See the type's documentation.
    public var isRetryable: Bool { kind == .transient }

    /// `"<kind>: <reason> [<code>]. <remedy>"`.
    public var description: String {
        let codePart = code.map { " [\($0)]" } ?? ""
        return "\(kindName): \(reason)\(codePart). \(remedy)"
    }

    /// A short name for the kind, as logs and metrics label it.
    public var kindName: String {
        switch kind {
        case .uniqueViolation: "unique violation"
        case .timeout: "timeout"
        case .overloaded: "overloaded"
        case .unavailable: "unavailable"
        case .transient: "transient"
        case .incompatibleSchema: "incompatible schema"
        case .other: "database error"
        }
    }

    /// A configuration refused by its `validate()` when connecting directly.
    static func invalidConfiguration(_ error: ConfigurationError) -> DatabaseError {
        DatabaseError(.other, reason: "invalid configuration: \(error)", remedy: "Fix the setting named in the reason; nothing was opened.")
    }

    /// A misuse of the API by the calling code (wrong placeholder, missing column...).
    static func misuse(_ reason: String) -> DatabaseError {
        DatabaseError(.other, reason: reason, remedy: "This is a bug in the calling code: fix the statement or how it is called.")
    }

    private static func defaultRemedy(for kind: Kind) -> String {
        switch kind {
        case .uniqueViolation(let constraint):
            "A row with the same \(constraint) already exists: use another value, or treat it as already done."
        case .timeout:
            "The statement did not finish in time and did not take effect: look for long transactions holding locks, or raise the timeout."
        case .overloaded:
            "The request was refused before it ran (a queue was full) and took no effect: retry later, shed load, or raise the bound named in the reason."
        case .unavailable:
            "Check that the database is running and reachable with the configured URL or path, that the disk is not full, and that the files are readable and writable."
        case .transient:
            "A conflict with concurrent work or a dropped connection: running the whole transaction, or an idempotent statement, again is safe and usually succeeds."
        case .incompatibleSchema(let databaseVersion, let supportedVersion):
            "The database is at schema version \(databaseVersion), newer than the \(supportedVersion) this binary knows: run the newer binary that migrated it, or restore a backup made before that upgrade."
        case .other:
            "Not expected to go away on retry: see the database's message and code."
        }
    }
}
