import CLibPQ
import Glibc

/// A connection to a PostgreSQL server through libpq: the option for deployments where
/// several Troupe nodes share one database.
///
/// # Statements
/// Every statement goes through the extended protocol: prepared once per connection
/// (`PQprepare`, cached per SQL text and parameter types), then executed with binary
/// parameters (`PQexecPrepared`). SQL text never carries a value. Transaction control runs
/// fixed statements with `PQexec`.
///
/// # Connection loss
/// After every failed call the driver asks libpq for the connection's state (`PQstatus`).
/// When the connection is gone, it reconnects at once (`PQreset`), forgets its prepared
/// statements (they died with the session) and reports the call as `transient` (reconnected;
/// the statement may or may not have run) or, if reconnecting failed, `unavailable`. A call
/// on a connection still broken tries to reconnect first, so traffic resumes by itself when
/// the server is back.
///
/// A transaction does not survive its connection. If the connection is lost inside one,
/// every later call except `rollback` fails as `transient` until `rollback` acknowledges
/// the loss: statements meant for the transaction never run on the new session in
/// autocommit mode.
///
/// # Durability
/// `synchronous_commit=on` for every session (see ``PostgresConfiguration``): a COMMIT
/// returns after its WAL record is flushed.
///
/// # Thread safety
/// Synchronous and blocking, including connecting and reconnecting; one thread at a time
/// (see ``DatabaseConnection``).
public final class PostgresConnection: DatabaseConnection {
    /// How this connection was opened.
    public let configuration: PostgresConfiguration
    private var connection: OpaquePointer?
    /// Prepared statement names by ``PostgresParameters/cacheKey(for:)``.
    private var statements: StatementCache<String>
    private var nextStatementNumber = 0
    /// Evicted statements not yet deallocated: deallocation waits for a moment outside a
    /// transaction, because in a failed transaction PostgreSQL refuses every statement.
    private var pendingDeallocations: [String] = []
    /// The connection was lost inside a transaction and `rollback` has not been called yet.
    private var transactionLost = false
    /// How another thread stops this connection's work (its pool, when it stops).
    let interrupt: ConnectionInterrupt

    /// Connects to the server.
    ///
    /// - Throws: ``DatabaseError`` `unavailable` with libpq's reason (refused, timed out,
    ///   authentication failed, no such database...).
    public convenience init(configuration: PostgresConfiguration) throws(DatabaseError) {
        try self.init(configuration: configuration, interrupt: ConnectionInterrupt())
    }

    /// Connects, interruptible through `interrupt` (a raised one refuses to connect).
    init(configuration: PostgresConfiguration, interrupt: ConnectionInterrupt) throws(DatabaseError) {
        self.configuration = configuration
        self.interrupt = interrupt
        self.statements = StatementCache(capacity: configuration.statementCacheCapacity)
        try interrupt.check()
        do {
            try configuration.validate()
        } catch {
            throw DatabaseError.invalidConfiguration(error)
        }
        // dbname first and expanded (expand_dbname = 1): the URL's own fields apply, then the
        // keywords after it override them.
        let parameters = [(keyword: "dbname", value: configuration.url)] + configuration.connectionParameters
        let keywords = parameters.map(\.keyword)
        let values = parameters.map(\.value)
        let opened = Self.withCStrings(keywords) { keywordPointers in
            Self.withCStrings(values) { valuePointers in
                PQconnectdbParams(keywordPointers, valuePointers, 1)
            }
        }
        guard let opened, PQstatus(opened) == CONNECTION_OK else {
            let message = opened.map { Self.errorMessage($0) } ?? "out of memory"
            PQfinish(opened)
            throw DatabaseError(.unavailable, reason: "cannot connect to PostgreSQL: \(message)", code: "08001")
        }
        // The default processor prints NOTICEs ("relation already exists, skipping") to
        // standard error; nothing in them needs a reaction.
        PQsetNoticeProcessor(opened, { _, _ in }, nil)
        connection = opened
        attachCancel(opened)
    }

    deinit {
        close()
    }

    /// `.postgres`.
    public var dialect: SQLDialect { .postgres }

    /// True inside a transaction (including a failed one, until rolled back) and after the
    /// connection was lost inside one, until `rollback`.
    public var isInTransaction: Bool {
        guard let connection else { return false }
        if transactionLost { return true }
        let status = PQtransactionStatus(connection)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR
    }

    /// Prepared statements currently cached (for tests and metrics).
    var cachedStatementCount: Int { statements.count }

    /// The session's socket (for tests that read its options), or -1 when closed.
    var socketDescriptor: Int32 {
        connection.map { PQsocket($0) } ?? -1
    }

    /// The server process serving this session (`pg_backend_pid()`), for diagnostics and
    /// for tests that terminate it.
    public var serverProcessID: Int32 {
        connection.map { PQbackendPID($0) } ?? 0
    }

    @discardableResult
    public func execute(_ sql: String, _ parameters: [DatabaseValue]) throws(DatabaseError) -> Int {
        try run(sql, parameters) { result in
            Int(String(cString: PQcmdTuples(result))) ?? 0
        }
    }

    public func query(_ sql: String, _ parameters: [DatabaseValue]) throws(DatabaseError) -> [Row] {
        try run(sql, parameters, Self.rows)
    }

    public func perform(_ control: TransactionControl) throws(DatabaseError) {
        switch control {
        case .begin:
            guard !isInTransaction else {
                throw DatabaseError.misuse("begin inside a transaction: commit or roll back first, or use withSavepoint")
            }
            try runControl(control)
        case .rollback:
            guard isInTransaction else { return }
            guard !transactionLost else {
                // The server rolled it back when the connection dropped.
                transactionLost = false
                return
            }
            do {
                try runControl(control)
            } catch let error where error.code == DatabaseError.lostConnectionCode {
                // Lost while rolling back: the server rolls back a dropped session's
                // transaction, which is what was asked.
                transactionLost = false
            }
        case .commit:
            guard isInTransaction else { throw DatabaseError.misuse("commit outside a transaction: begin one first") }
            // A COMMIT sent on a live connection that then drops may have committed: the
            // acknowledgement, not the commit, may be what was lost. Running the transaction
            // again could apply it twice, so that loss is not `transient` (retryable).
            let sentOnLiveConnection = !transactionLost && connection.map { PQstatus($0) == CONNECTION_OK } == true
            let tag: String
            do {
                tag = try runControl(control)
            } catch let error where sentOnLiveConnection && error.code == DatabaseError.lostConnectionCode {
                throw DatabaseError(
                    error.kind == .unavailable ? .unavailable : .other,
                    reason: "the connection was lost during COMMIT, so the transaction may or may not have committed (\(error.reason))",
                    code: error.code,
                    remedy: "Do not run the transaction again blindly: check whether its effects are there first. Roll back to reuse the connection."
                )
            }
            // COMMIT of a failed transaction "succeeds" with the tag ROLLBACK.
            if tag == "ROLLBACK" {
                throw DatabaseError(
                    .other, reason: "the transaction had failed, so COMMIT rolled it back",
                    remedy: "An earlier statement of the transaction failed: handle that error (or wrap the statement in withSavepoint), then run the transaction again."
                )
            }
        case .savepoint, .releaseSavepoint, .rollbackToSavepoint:
            guard isInTransaction else { throw DatabaseError.misuse("\(control) outside a transaction: begin one first") }
            try runControl(control)
        }
    }

    public func close() {
        guard let connection else { return }
        // No cancel may go out through this session once it is closed.
        interrupt.detach()
        PQfinish(connection)
        self.connection = nil
    }

    // MARK: - Running statements

    /// Prepares `sql` for these parameter types if needed, executes it and hands the result
    /// to `read` before clearing it.
    private func run<R>(_ sql: String, _ parameters: [DatabaseValue], _ read: (OpaquePointer) -> R) throws(DatabaseError) -> R {
        try interrupt.check()
        let connection = try usableConnection()
        deallocatePendingStatements(connection)
        let encoded = try PostgresParameters(parameters)
        let key = encoded.cacheKey(for: sql)
        let transactionBefore = PQtransactionStatus(connection)
        let name: String
        if let cached = statements.lookup(key) {
            name = cached
        } else {
            name = "troupe_\(nextStatementNumber)"
            nextStatementNumber += 1
            let prepared = PQprepare(connection, name, sql, Int32(encoded.types.count), encoded.types)
            defer { PQclear(prepared) }
            try check(prepared, connection, transactionBefore: transactionBefore)
            if let evicted = statements.insert(name, for: key) {
                pendingDeallocations.append(evicted)
            }
        }
        let result = encoded.withUnsafeArguments { values, lengths, formats in
            PQexecPrepared(connection, name, Int32(values.count), values, lengths, formats, 0)
        }
        defer { PQclear(result) }
        do {
            try check(result, connection, transactionBefore: transactionBefore)
        } catch let error where error.code == "26000" || error.code == "0A000" {
            // The server no longer has this statement (DEALLOCATE ALL / DISCARD ALL by someone
            // else) or its plan went stale after a schema change: prepare afresh next time.
            if statements.remove(key) != nil, error.code == "0A000" { pendingDeallocations.append(name) }
            throw error
        }
        return read(result!)
    }

    /// Runs a transaction control statement (fixed text) and returns its command tag.
    @discardableResult
    private func runControl(_ control: TransactionControl) throws(DatabaseError) -> String {
        // An interrupted connection may still roll back: that is how its work is undone.
        if control != .rollback { try interrupt.check() }
        let connection = try usableConnection()
        let transactionBefore = PQtransactionStatus(connection)
        let result = PQexec(connection, control.sql(for: .postgres))
        defer { PQclear(result) }
        try check(result, connection, transactionBefore: transactionBefore)
        return String(cString: PQcmdStatus(result))
    }

    /// The live connection, reconnected first if it was found broken by an earlier call.
    private func usableConnection() throws(DatabaseError) -> OpaquePointer {
        guard let connection else {
            throw DatabaseError(.unavailable, reason: "the PostgreSQL connection is closed", remedy: "Open a new connection.")
        }
        if transactionLost {
            throw DatabaseError(
                .transient, reason: "the transaction was lost with its connection", code: DatabaseError.lostConnectionCode,
                remedy: "Roll back, then run the whole transaction again."
            )
        }
        if PQstatus(connection) != CONNECTION_OK {
            forgetPreparedStatements()
            PQreset(connection)
            guard PQstatus(connection) == CONNECTION_OK else {
                throw DatabaseError(.unavailable, reason: "cannot reconnect to PostgreSQL: \(Self.errorMessage(connection))", code: DatabaseError.lostConnectionCode)
            }
            attachCancel(connection)
        }
        return connection
    }

    /// Throws the error a failed result stands for; returns for success.
    private func check(_ result: OpaquePointer?, _ connection: OpaquePointer, transactionBefore: PGTransactionStatusType) throws(DatabaseError) {
        let status = result.map { PQresultStatus($0) } ?? PGRES_FATAL_ERROR
        if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK { return }
        if status == PGRES_EMPTY_QUERY { throw DatabaseError.misuse("the SQL text holds no statement") }
        let message = result.flatMap { Self.field($0, "M") } ?? Self.errorMessage(connection)
        if PQstatus(connection) == CONNECTION_BAD {
            throw connectionLost(message, connection, wasInTransaction: transactionBefore == PQTRANS_INTRANS || transactionBefore == PQTRANS_INERROR)
        }
        let detail = result.flatMap { Self.field($0, "D") }.map { "\(message) (\($0))" } ?? message
        throw interrupt.explain(
            DatabaseError.postgres(sqlState: result.flatMap { Self.field($0, "C") }, message: detail, constraint: result.flatMap { Self.field($0, "n") })
        )
    }

    /// Reconnects after a loss and describes what the caller lost.
    private func connectionLost(_ message: String, _ connection: OpaquePointer, wasInTransaction: Bool) -> DatabaseError {
        forgetPreparedStatements()
        transactionLost = wasInTransaction
        PQreset(connection)
        attachCancel(connection)
        guard PQstatus(connection) == CONNECTION_OK else {
            return DatabaseError(
                .unavailable, reason: "the connection to PostgreSQL was lost (\(message)) and reconnecting failed: \(Self.errorMessage(connection))",
                code: DatabaseError.lostConnectionCode
            )
        }
        return DatabaseError(
            .transient, reason: "the connection to PostgreSQL was lost (\(message)); reconnected", code: DatabaseError.lostConnectionCode,
            remedy: wasInTransaction
                ? "The open transaction was lost: roll back, then run the whole transaction again."
                : "The statement may or may not have taken effect: run it again only if it is idempotent."
        )
    }

    /// Registers the session's cancel handle with the interrupt switch: it names the server
    /// process, so every (re)connect needs a new one.
    private func attachCancel(_ connection: OpaquePointer) {
        if let cancel = PQgetCancel(connection) {
            interrupt.attach(.postgres(cancel))
        } else {
            interrupt.detach()
        }
    }

    /// Forgets every prepared statement: after a reconnect the new session has none.
    private func forgetPreparedStatements() {
        _ = statements.removeAll()
        pendingDeallocations.removeAll()
    }

    private func deallocatePendingStatements(_ connection: OpaquePointer) {
        guard !pendingDeallocations.isEmpty, PQtransactionStatus(connection) == PQTRANS_IDLE else { return }
        for name in pendingDeallocations {
            // The name is the driver's own ("troupe_<n>"), never input. A failure only leaves
            // a statement on the server until the session ends.
            PQclear(PQexec(connection, "DEALLOCATE \(name)"))
        }
        pendingDeallocations.removeAll()
    }

    // MARK: - libpq helpers

    private static func rows(_ result: OpaquePointer) -> [Row] {
        let rowCount = PQntuples(result)
        let columnCount = PQnfields(result)
        let names = (0..<columnCount).map { String(cString: PQfname(result, $0)) }
        let types = (0..<columnCount).map { PQftype(result, $0) }
        return (0..<rowCount).map { row in
            let values = (0..<columnCount).map { column -> DatabaseValue in
                if PQgetisnull(result, row, column) != 0 { return .null }
                let length = Int(PQgetlength(result, row, column))
                let bytes = UnsafeRawPointer(PQgetvalue(result, row, column)!).assumingMemoryBound(to: UInt8.self)
                return PostgresType.decode(UnsafeBufferPointer(start: bytes, count: length), type: types[Int(column)])
            }
            return Row(checkedColumnNames: names, values: values)
        }
    }

    /// One field of an error result (`C` SQLSTATE, `M` message, `D` detail, `n` constraint).
    private static func field(_ result: OpaquePointer, _ code: Unicode.Scalar) -> String? {
        PQresultErrorField(result, Int32(code.value)).map { String(cString: $0) }
    }

    private static func errorMessage(_ connection: OpaquePointer) -> String {
        var message = String(cString: PQerrorMessage(connection))
        while message.last == "\n" { message.removeLast() }
        return message.split(separator: "\n").joined(separator: "; ")
    }

    /// Calls `body` with NUL-terminated copies of `strings`, then a nil, as libpq's keyword
    /// arrays are laid out.
    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        let copies = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        return body(copies.map { $0.map { UnsafePointer($0) } } + [nil])
    }
}
