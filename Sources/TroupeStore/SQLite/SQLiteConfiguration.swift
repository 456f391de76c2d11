public import Troupe

/// How to open a SQLite database.
///
/// The durability settings are not options: every connection runs in WAL mode with
/// `synchronous=FULL` and foreign keys on (see ``SQLiteConnection`` for why).
public struct SQLiteConfiguration: Sendable, Hashable {
    /// The database file; created with its WAL files when missing (its directory must exist
    /// and be writable). `":memory:"` gives a private in-memory database with no durability,
    /// for experiments only.
    public var path: String
    /// How long a statement waits for another connection's write lock before failing with a
    /// transient error (SQLITE_BUSY). SQLite allows one writer at a time; this is the queue.
    public var busyTimeout: Duration
    /// How many prepared statements a connection keeps (least recently used evicted).
    public var statementCacheCapacity: Int

    /// A configuration for the database at `path`.
    public init(path: String, busyTimeout: Duration = .seconds(5), statementCacheCapacity: Int = 64) {
        self.path = path
        self.busyTimeout = busyTimeout
        self.statementCacheCapacity = statementCacheCapacity
    }

    /// Checks every setting.
    ///
    /// - Throws: `ConfigurationError` if `busyTimeout` is negative or
    ///   `statementCacheCapacity` is below 1.
    public func validate() throws(ConfigurationError) {
        if busyTimeout < .zero { throw .invalidDuration(setting: "sqlite busy timeout (zero or more)", value: busyTimeout) }
        if statementCacheCapacity < 1 { throw .notPositive(setting: "sqlite statement cache capacity", value: statementCacheCapacity) }
    }
}
