/// One open connection to a database: prepared statements with bound parameters, typed rows,
/// and transactions. ``SQLiteConnection`` and ``PostgresConnection`` conform.
///
/// # Thread safety
/// A connection is a **synchronous, blocking** object used by **one thread at a time**.
/// Every call blocks the calling thread until the database answers (disk I/O, lock waits up
/// to the busy timeout, network round trips, reconnects). Therefore:
/// - Never call a connection from Swift's cooperative thread pool (any `async` context) in
///   the server: that pool has one thread per core, and a blocked call takes one away from
///   every actor. The pool actor runs each connection on a thread it owns and hands results
///   back through continuations.
/// - Never use one connection from two threads at once. Handing it from one thread to
///   another between calls is fine. Connections are deliberately not `Sendable`.
///
/// # Statements
/// One statement per call; placeholders are `$1`, `$2`, ... in both dialects, and values are
/// always bound, never spliced into the SQL text. Statements are prepared once and cached per
/// connection (bounded, least recently used evicted), so repeating a statement costs only
/// binding and execution.
///
/// # Transactions
/// ``perform(_:)`` runs a ``TransactionControl``; ``transaction(_:)`` and
/// ``withSavepoint(_:)`` wrap a body and always leave the connection clean, whatever the
/// body throws.
public protocol DatabaseConnection: AnyObject {
    /// The SQL dialect this connection speaks.
    var dialect: SQLDialect { get }

    /// True between a successful `begin` and the matching `commit` or `rollback`; also true
    /// after a PostgreSQL connection was lost inside a transaction, until `rollback`
    /// acknowledges that the transaction is gone (every other statement fails meanwhile, so
    /// work meant for the transaction never runs outside it).
    var isInTransaction: Bool { get }

    /// Runs one statement and returns how many rows it inserted, updated or deleted (0 for
    /// other statements). Rows it returns are discarded.
    @discardableResult
    func execute(_ sql: String, _ parameters: [DatabaseValue]) throws(DatabaseError) -> Int

    /// Runs one statement and returns all its rows.
    func query(_ sql: String, _ parameters: [DatabaseValue]) throws(DatabaseError) -> [Row]

    /// Runs a transaction control statement.
    ///
    /// `begin` inside a transaction and `commit`/`releaseSavepoint`/`rollbackToSavepoint`
    /// outside one fail (`other`); `rollback` outside one does nothing, so cleanup paths can
    /// call it unconditionally. A `commit` of a PostgreSQL transaction that an earlier
    /// statement had failed throws (PostgreSQL itself reports such a COMMIT as success and
    /// rolls back).
    func perform(_ control: TransactionControl) throws(DatabaseError)

    /// Releases the connection's resources. Further calls fail with `unavailable`. Called by
    /// `deinit` if not before.
    func close()
}

extension DatabaseConnection {
    /// Runs a statement without parameters; see ``execute(_:_:)``.
    @discardableResult
    public func execute(_ sql: String) throws(DatabaseError) -> Int {
        try execute(sql, [])
    }

    /// Runs a query without parameters; see ``query(_:_:)``.
    public func query(_ sql: String) throws(DatabaseError) -> [Row] {
        try query(sql, [])
    }

    /// The first row of a query, or nil when it returns none.
    public func queryFirst(_ sql: String, _ parameters: [DatabaseValue] = []) throws(DatabaseError) -> Row? {
        try query(sql, parameters).first
    }

    /// Starts a transaction.
    public func begin() throws(DatabaseError) { try perform(.begin) }
    /// Commits the open transaction.
    public func commit() throws(DatabaseError) { try perform(.commit) }
    /// Rolls back the open transaction (nothing when none is open).
    public func rollback() throws(DatabaseError) { try perform(.rollback) }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it (or the
    /// commit) throws. The body's error is rethrown as is; a failing rollback is not reported
    /// over it (the connection notices its own state on the next call).
    ///
    /// Not reentrant: calling it inside a transaction fails (`other`); use
    /// ``withSavepoint(_:)`` for nested units of work.
    @discardableResult
    public func transaction<T>(_ body: () throws(DatabaseError) -> T) throws(DatabaseError) -> T {
        try perform(.begin)
        do {
            let value = try body()
            try perform(.commit)
            return value
        } catch {
            if isInTransaction { try? perform(.rollback) }
            throw error
        }
    }

    /// Runs `body` inside a savepoint of the open transaction: its work is kept when it
    /// returns and undone when it throws, while the transaction goes on either way.
    ///
    /// This is how one failing write (say, a unique violation) leaves the other writes of a
    /// shared transaction intact, on PostgreSQL too, where a failed statement otherwise
    /// aborts the whole transaction.
    @discardableResult
    public func withSavepoint<T>(_ body: () throws(DatabaseError) -> T) throws(DatabaseError) -> T {
        try perform(.savepoint)
        do {
            let value = try body()
            try perform(.releaseSavepoint)
            return value
        } catch {
            // Undo the body's work, then drop the savepoint itself so nesting stays balanced.
            if (try? perform(.rollbackToSavepoint)) != nil { try? perform(.releaseSavepoint) }
            throw error
        }
    }

    /// Checks that the database answers (`SELECT 1`); on PostgreSQL this reconnects a lost
    /// connection first.
    public func ping() throws(DatabaseError) {
        _ = try query("SELECT 1")
    }
}
