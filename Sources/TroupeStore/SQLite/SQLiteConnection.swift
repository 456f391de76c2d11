import CSQLite
import Glibc
import Troupe

/// A connection to a SQLite database file: the embedded default.
///
/// # Durability: acknowledged means durable
/// Every connection sets, and the tests read back:
/// - `journal_mode=WAL`: readers never block the writer nor the writer the readers, and a
///   commit appends to the write-ahead log instead of rewriting pages in place.
/// - `synchronous=FULL`: the WAL is fsynced at **every commit**, before `COMMIT` returns.
///   With `NORMAL` (the usual WAL companion) a commit survives a crash of the process but
///   not of the machine: the WAL is synced only at checkpoints, so the last transactions a
///   client was told were stored can vanish on power loss. Troupe acknowledges a write only
///   after its commit, so it needs `FULL`. The price is one fsync per transaction, which the
///   group-commit writer shares among all the writes waiting at that moment.
/// - `foreign_keys=ON`: SQLite leaves them off by default; PostgreSQL always enforces them,
///   and both drivers must accept and refuse the same rows.
/// - A busy timeout (``SQLiteConfiguration/busyTimeout``): SQLite has one writer at a time;
///   a writer waits this long for the lock, then fails with a transient error.
///
/// Transactions start with `BEGIN IMMEDIATE` (see ``SQLDialect``).
///
/// # Thread safety
/// Synchronous and blocking; one thread at a time (see ``DatabaseConnection``). Opened in
/// SQLite's multi-thread mode (`SQLITE_OPEN_NOMUTEX`): SQLite takes no lock per call because
/// the caller guarantees the exclusive use, which the pool does by giving each connection a
/// thread of its own.
public final class SQLiteConnection: DatabaseConnection {
    /// The oldest SQLite accepted: 3.35 added `RETURNING`.
    static let minimumVersionNumber: Int32 = 3_035_000

    /// How this connection was opened.
    public let configuration: SQLiteConfiguration
    private var handle: OpaquePointer?
    private var statements: StatementCache<SQLiteStatement>
    /// How another thread stops this connection's work (its pool, when it stops).
    let interrupt: ConnectionInterrupt

    /// Opens (creating if needed) the database at `configuration.path` and applies the
    /// durability settings above.
    ///
    /// - Throws: ``DatabaseError`` `unavailable` when the file cannot be opened or WAL mode
    ///   cannot be enabled; `other` for a file that is not a database.
    public convenience init(configuration: SQLiteConfiguration) throws(DatabaseError) {
        try self.init(configuration: configuration, interrupt: ConnectionInterrupt())
    }

    /// Opens the database, interruptible through `interrupt` (a raised one refuses to open).
    init(configuration: SQLiteConfiguration, interrupt: ConnectionInterrupt) throws(DatabaseError) {
        self.configuration = configuration
        self.interrupt = interrupt
        self.statements = StatementCache(capacity: configuration.statementCacheCapacity)
        try interrupt.check()
        do {
            try configuration.validate()
        } catch {
            throw DatabaseError.invalidConfiguration(error)
        }
        guard sqlite3_libversion_number() >= Self.minimumVersionNumber else {
            throw DatabaseError(
                .unavailable,
                reason: "SQLite \(String(cString: sqlite3_libversion())) is too old: Troupe needs 3.35 or later (for RETURNING)",
                remedy: "Install a newer libsqlite3 (Debian 12 ships 3.40)."
            )
        }
        var opened: OpaquePointer?
        let status = sqlite3_open_v2(configuration.path, &opened, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
        guard status == SQLITE_OK, let opened else {
            let message = opened.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(opened)
            throw DatabaseError.sqlite(code: status, message: "cannot open \(configuration.path): \(message)")
        }
        handle = opened
        interrupt.attach(.sqlite(opened))
        // Every 1,000 instructions, a statement checks the interrupt switch: this catches a
        // statement started just after `sqlite3_interrupt` found nothing to interrupt.
        sqlite3_progress_handler(opened, 1_000, { context in
            guard let context else { return 0 }
            return Unmanaged<ConnectionInterrupt>.fromOpaque(context).takeUnretainedValue().isRaised ? 1 : 0
        }, Unmanaged.passUnretained(interrupt).toOpaque())
        sqlite3_extended_result_codes(opened, 1)
        sqlite3_busy_timeout(opened, Int32(clamping: configuration.busyTimeout.wholeMilliseconds))
        try applyDurabilitySettings()
    }

    deinit {
        close()
    }

    /// `.sqlite`.
    public var dialect: SQLDialect { .sqlite }

    /// True while SQLite is outside autocommit mode. Read from SQLite itself, so a
    /// transaction SQLite rolled back on its own (disk full, I/O error) reads as ended.
    public var isInTransaction: Bool {
        guard let handle else { return false }
        return sqlite3_get_autocommit(handle) == 0
    }

    /// Prepared statements currently cached (for tests and metrics).
    var cachedStatementCount: Int { statements.count }

    @discardableResult
    public func execute(_ sql: String, _ parameters: [DatabaseValue]) throws(DatabaseError) -> Int {
        try interrupt.check()
        return try run(sql, parameters, cached: true, collectRows: false).changes
    }

    public func query(_ sql: String, _ parameters: [DatabaseValue]) throws(DatabaseError) -> [Row] {
        try interrupt.check()
        return try run(sql, parameters, cached: true, collectRows: true).rows
    }

    public func perform(_ control: TransactionControl) throws(DatabaseError) {
        // An interrupted connection may still roll back: that is how its work is undone.
        if control != .rollback { try interrupt.check() }
        switch control {
        case .begin:
            guard !isInTransaction else {
                throw DatabaseError.misuse("begin inside a transaction: commit or roll back first, or use withSavepoint")
            }
        case .rollback:
            // Nothing to undo; cleanup paths call this unconditionally.
            guard isInTransaction else { return }
        case .commit, .savepoint, .releaseSavepoint, .rollbackToSavepoint:
            guard isInTransaction else {
                throw DatabaseError.misuse("\(control) outside a transaction: begin one first")
            }
        }
        _ = try run(control.sql(for: .sqlite), [], cached: true, collectRows: false)
    }

    public func close() {
        guard let handle else { return }
        for statement in statements.removeAll() {
            sqlite3_finalize(statement.handle)
        }
        // No interrupt may reach the handle once it is closed.
        interrupt.detach()
        if interrupt.isRaised {
            // An interrupt leaves SQLite's flag set until the next statement starts, and the
            // checkpoint that closing the last connection runs would stop on it (the WAL file
            // would stay behind: nothing lost, the next open recovers it). Starting a no-op
            // statement, with the progress handler gone, clears the flag.
            sqlite3_progress_handler(handle, 0, nil, nil)
            sqlite3_exec(handle, "SELECT 1", nil, nil, nil)
        }
        // _v2: if a statement were still alive the handle would close once it is finalized,
        // instead of failing with SQLITE_BUSY and leaking.
        sqlite3_close_v2(handle)
        self.handle = nil
    }

    // MARK: - Settings

    private func applyDurabilitySettings() throws(DatabaseError) {
        // journal_mode answers with the mode in effect, which is not WAL when the file
        // system cannot provide the shared memory WAL needs.
        let mode = try switchToWAL()
        guard mode == .text("wal") || configuration.path == ":memory:" else {
            throw DatabaseError(
                .unavailable,
                reason: "\(configuration.path) could not be switched to WAL mode (journal_mode is \(mode.map { "\($0)" } ?? "unknown"))",
                remedy: "Put the database on a local file system (WAL needs shared memory; network file systems often lack it)."
            )
        }
        _ = try run("PRAGMA synchronous=FULL", [], cached: false, collectRows: false)
        _ = try run("PRAGMA foreign_keys=ON", [], cached: false, collectRows: false)
    }

    /// `PRAGMA journal_mode=WAL`, retried while it meets `SQLITE_BUSY`, up to the busy
    /// timeout. On a brand-new file, connections opened at the same moment race to switch it
    /// to WAL, and the loser is refused at once: the busy handler does not cover that change.
    /// (This runs on the connection's own thread, where waiting is allowed.)
    private func switchToWAL() throws(DatabaseError) -> DatabaseValue? {
        let deadline = monotonicNanoseconds() + configuration.busyTimeout.wholeMilliseconds * 1_000_000
        while true {
            do {
                return try run("PRAGMA journal_mode=WAL", [], cached: false, collectRows: true).rows.first?.values.first
            } catch {
                guard error.kind == .transient, monotonicNanoseconds() < deadline else { throw error }
                usleep(1_000)
            }
        }
    }

    // MARK: - Running statements

    /// Prepares (or finds in the cache) `sql`, binds `parameters`, steps to completion and
    /// resets the statement, whatever happens.
    private func run(_ sql: String, _ parameters: [DatabaseValue], cached: Bool, collectRows: Bool) throws(DatabaseError) -> (rows: [Row], changes: Int) {
        guard let handle else {
            throw DatabaseError(.unavailable, reason: "the SQLite connection is closed", remedy: "Open a new connection.")
        }
        let statement = try cached ? cachedStatement(sql, handle) : prepare(sql, handle, persistent: false)
        defer {
            if cached {
                sqlite3_reset(statement.handle)
                sqlite3_clear_bindings(statement.handle)
            } else {
                sqlite3_finalize(statement.handle)
            }
        }
        try bind(parameters, to: statement)
        // sqlite3_changes keeps the count of the last INSERT/UPDATE/DELETE, even after other
        // statements; the total moves only when this statement changed rows.
        let totalBefore = sqlite3_total_changes64(handle)
        var rows: [Row] = []
        var columnNames: [String]?
        while true {
            let status = sqlite3_step(statement.handle)
            if status == SQLITE_DONE { break }
            guard status == SQLITE_ROW else { throw failure(handle) }
            guard collectRows else { continue }
            let names = columnNames ?? Self.columnNames(statement.handle)
            columnNames = names
            rows.append(Row(checkedColumnNames: names, values: Self.values(statement.handle, count: names.count)))
        }
        let changes = sqlite3_total_changes64(handle) == totalBefore ? 0 : Int(sqlite3_changes64(handle))
        return (rows, changes)
    }

    private func cachedStatement(_ sql: String, _ handle: OpaquePointer) throws(DatabaseError) -> SQLiteStatement {
        if let statement = statements.lookup(sql) { return statement }
        let statement = try prepare(sql, handle, persistent: true)
        if let evicted = statements.insert(statement, for: sql) {
            sqlite3_finalize(evicted.handle)
        }
        return statement
    }

    /// Compiles exactly one statement; trailing text that compiles to another is refused, so
    /// a call can never run more than the one statement its author meant.
    private func prepare(_ sql: String, _ handle: OpaquePointer, persistent: Bool) throws(DatabaseError) -> SQLiteStatement {
        let flags = persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0
        let (status, compiled, trailing) = sql.withCString { text -> (Int32, OpaquePointer?, Bool) in
            var compiled: OpaquePointer?
            var tail: UnsafePointer<CChar>?
            let status = sqlite3_prepare_v3(handle, text, -1, flags, &compiled, &tail)
            guard status == SQLITE_OK, let tail, tail.pointee != 0 else { return (status, compiled, false) }
            // Whitespace and comments compile to no statement; anything else is a second one.
            var extra: OpaquePointer?
            let extraStatus = sqlite3_prepare_v3(handle, tail, -1, 0, &extra, nil)
            sqlite3_finalize(extra)
            return (status, compiled, extraStatus != SQLITE_OK || extra != nil)
        }
        guard status == SQLITE_OK else { throw failure(handle) }
        guard let compiled else {
            throw DatabaseError.misuse("the SQL text holds no statement")
        }
        guard !trailing else {
            sqlite3_finalize(compiled)
            throw DatabaseError.misuse("one statement per call: the SQL text holds more than one (\(sql.prefix(80))...)")
        }
        do {
            return try SQLiteStatement.make(compiled)
        } catch {
            sqlite3_finalize(compiled)
            throw error
        }
    }

    private func bind(_ parameters: [DatabaseValue], to statement: SQLiteStatement) throws(DatabaseError) {
        guard parameters.count == statement.parameterIndex.count else {
            throw DatabaseError.misuse("the statement has \(statement.parameterIndex.count) placeholders but \(parameters.count) parameters were given")
        }
        for (offset, index) in statement.parameterIndex.enumerated() {
            let slot = Int32(offset + 1)
            let status: Int32
            switch parameters[index] {
            case .null:
                status = sqlite3_bind_null(statement.handle, slot)
            case .integer(let value):
                status = sqlite3_bind_int64(statement.handle, slot, value)
            case .bool(let value):
                status = sqlite3_bind_int64(statement.handle, slot, value ? 1 : 0)
            case .double(let value):
                status = sqlite3_bind_double(statement.handle, slot, value)
            case .text(var value):
                status = value.withUTF8 { bytes in
                    // A nil pointer would bind NULL, not the empty string.
                    bytes.isEmpty
                        ? sqlite3_bind_text(statement.handle, slot, "", 0, csqlite_transient())
                        : sqlite3_bind_text64(statement.handle, slot, UnsafeRawPointer(bytes.baseAddress!).assumingMemoryBound(to: CChar.self), UInt64(bytes.count), csqlite_transient(), UInt8(SQLITE_UTF8))
                }
            case .blob(let value):
                status = value.withUnsafeBytes { bytes in
                    // Same as text: a nil pointer would bind NULL, not an empty blob.
                    bytes.isEmpty
                        ? sqlite3_bind_zeroblob(statement.handle, slot, 0)
                        : sqlite3_bind_blob64(statement.handle, slot, bytes.baseAddress, UInt64(bytes.count), csqlite_transient())
                }
            }
            guard status == SQLITE_OK else {
                guard let handle else { throw DatabaseError(.unavailable, reason: "the SQLite connection is closed", remedy: "Open a new connection.") }
                throw failure(handle)
            }
        }
    }

    private static func columnNames(_ statement: OpaquePointer) -> [String] {
        (0..<sqlite3_column_count(statement)).map { column in
            sqlite3_column_name(statement, column).map { String(cString: $0) } ?? ""
        }
    }

    private static func values(_ statement: OpaquePointer, count: Int) -> [DatabaseValue] {
        (0..<Int32(count)).map { column in
            switch sqlite3_column_type(statement, column) {
            case SQLITE_INTEGER:
                return .integer(sqlite3_column_int64(statement, column))
            case SQLITE_FLOAT:
                return .double(sqlite3_column_double(statement, column))
            case SQLITE_TEXT:
                // Pointer first, then the length (SQLite's documented order).
                let text = sqlite3_column_text(statement, column)
                let length = Int(sqlite3_column_bytes(statement, column))
                guard let text else { return .text("") }
                return .text(String(decoding: UnsafeBufferPointer(start: text, count: length), as: UTF8.self))
            case SQLITE_BLOB:
                let blob = sqlite3_column_blob(statement, column)
                let length = Int(sqlite3_column_bytes(statement, column))
                guard let blob else { return .blob([]) }
                return .blob(Array(UnsafeRawBufferPointer(start: blob, count: length)))
            default:
                return .null
            }
        }
    }

    // MARK: - Errors

    /// The connection's latest error as a ``DatabaseError``, with the index name resolved
    /// for a unique violation.
    private func failure(_ handle: OpaquePointer) -> DatabaseError {
        let code = sqlite3_extended_errcode(handle)
        let message = String(cString: sqlite3_errmsg(handle))
        var constraint: String?
        if code == csqlite_constraint_unique || code == csqlite_constraint_primarykey {
            constraint = SQLiteConstraintResolver(connection: self).constraintName(message: message, primaryKey: code == csqlite_constraint_primarykey)
        }
        return interrupt.explain(DatabaseError.sqlite(code: code, message: message, constraint: constraint))
    }

    /// Runs a read-only lookup for error reporting without touching the statement cache.
    func uncachedQuery(_ sql: String, _ parameters: [DatabaseValue]) throws(DatabaseError) -> [Row] {
        try run(sql, parameters, cached: false, collectRows: true).rows
    }
}
