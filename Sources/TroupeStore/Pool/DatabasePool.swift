public import Troupe

/// A pool of database connections run by an actor: bounded connections, each on a thread
/// the pool owns; a bounded wait queue with a deadline per request; retries of transient
/// failures where safe; a circuit breaker; metrics.
///
/// ```swift
/// let pool = DatabasePool(configuration: .sqlite(SQLiteConfiguration(path: "troupe.sqlite")))
/// try await system.start(pool.childSpec("db"))
/// try await pool.withConnection { connection in try Migrator.backend.migrate(connection) }
/// let rows = try await pool.query("SELECT id, name FROM users WHERE name = $1", ["alice"], idempotent: true)
/// let id = try await pool.transaction { connection in
///     try connection.queryFirst("INSERT INTO users (...) VALUES (...) RETURNING id", [...])!.decode(Int64.self, at: 0)
/// }
/// ```
///
/// # Threads
/// Every driver call runs on one of the pool's connection threads (a Troupe
/// `BlockingThread` per connection, whose context is the connection), never on Swift's
/// cooperative pool nor on the actor system's threads: a caller suspends until its job has
/// run, and no thread is held while it waits. The closures given to
/// ``withConnection(timeout:_:)`` and ``transaction(timeout:_:)`` run on a connection thread:
/// they may block (that is what the thread is for) but must not await anything.
///
/// # Cancellation
/// A caller cancelled while its request waits gets `timeout` at once and the request never
/// runs; once it runs, the caller waits for its outcome.
///
/// # Deadlines
/// Each request has a deadline (`timeout`, default ``PoolOptions/defaultTimeout``): if no
/// connection comes free before it, the request fails with `timeout` and never runs. A
/// request arriving while ``PoolOptions/maxWaiters`` already wait (or while the actor's
/// mailbox is full) fails at once with `overloaded` and never runs: neither counts against
/// the breaker, and neither is retried. Once a job runs, the database's own limits bound it (busy timeout,
/// `statement_timeout`, 30 s by default).
///
/// # Retries
/// `transient` failures are retried with exponential backoff and jitter
/// (``PoolOptions/retry``), never past the deadline, and only where running the work again
/// is harmless: whole transactions (``transaction(timeout:_:)``) and statements the caller
/// marks `idempotent`. ``withConnection(timeout:_:)`` is never retried.
///
/// # Breaker
/// After ``BreakerPolicy/failureThreshold`` consecutive failures that blame the database
/// (`unavailable`, or a statement that ran into its `timeout`: a hung database), requests
/// fail at once with `unavailable` until a probe succeeds (see ``BreakerPolicy``).
///
/// # Lifecycle
/// The pool is an actor under a supervisor, a Troupe `BuildingBlock`: place
/// ``childSpec(_:restart:)`` in a tree (or `system.start(pool, name: "db")`). Requests before
/// the spec is placed fail with `unavailable`; once it is, they wait in the actor's mailbox
/// until it runs. A restart closes and reopens every connection; the façade stays valid.
/// Stopping or restarting interrupts the statements running at that moment instead of
/// waiting for them: their callers get `unavailable` and their transactions roll back. A
/// body busy outside the database (in its own code) is waited for.
///
/// # Concurrency contract
/// `Sendable`; every method may be called from any task.
public final class DatabasePool: BuildingBlock {
    /// The database the connections open.
    public let configuration: DatabaseConfiguration
    /// Bounds and policies.
    public let options: PoolOptions
    /// The pool's actor, bound when its spec is placed (a request sent before the actor
    /// runs waits in its mailbox).
    private let actor = ChildRef<PoolMessage>()

    /// A pool for `configuration`; nothing opens until the pool's actor starts.
    public init(configuration: DatabaseConfiguration, options: PoolOptions = PoolOptions()) {
        self.configuration = configuration
        self.options = options
    }

    /// The spec that places the pool's actor in a supervision tree as `name`, stopped with
    /// the default policy for actors. Use it once: a pool has one place in one tree.
    public func childSpec(_ name: String, restart: RestartType) throws(ConfigurationError) -> ChildSpec {
        try childSpec(name, restart: restart, shutdown: .defaultForActors)
    }

    /// The spec that places the pool's actor in a supervision tree as `name`.
    ///
    /// - Parameter shutdown: how long stopping may take before the runtime cancels it.
    ///   Stopping fails the waiting requests at once, interrupts the statements running on
    ///   busy connections (`sqlite3_interrupt`, `PQcancel`: their callers get `unavailable`),
    ///   and waits for every connection to close on its thread.
    ///
    /// - Throws: `ConfigurationError` for an invalid database configuration (see
    ///   ``DatabaseConfiguration/validate()``) or name.
    public func childSpec(_ name: String, restart: RestartType, shutdown: ShutdownPolicy) throws(ConfigurationError) -> ChildSpec {
        try configuration.validate()
        let configuration = configuration
        let options = options
        return try actor.childSpec(
            name, mailbox: try MailboxConfiguration(capacity: options.mailboxCapacity, overflow: .fail), restart: restart, shutdown: shutdown
        ) {
            PoolBehavior(configuration: configuration, options: options)
        }
    }

    // MARK: - Work

    /// Runs `body` with a pooled connection, on that connection's thread. Never retried: the
    /// body may do anything. A transaction it leaves open is rolled back.
    public func withConnection<Value: Sendable>(
        timeout: Duration? = nil,
        _ body: @escaping @Sendable (any DatabaseConnection) throws(DatabaseError) -> Value
    ) async throws(DatabaseError) -> Value {
        try await submit(retryable: false, timeout: timeout, body)
    }

    /// Runs `body` in a transaction on a pooled connection (committed when it returns,
    /// rolled back when it throws). A `transient` failure runs the whole transaction again,
    /// so `body` must have no effects outside the connection.
    public func transaction<Value: Sendable>(
        timeout: Duration? = nil,
        _ body: @escaping @Sendable (any DatabaseConnection) throws(DatabaseError) -> Value
    ) async throws(DatabaseError) -> Value {
        try await submit(retryable: true, timeout: timeout) { connection throws(DatabaseError) in
            try connection.transaction { () throws(DatabaseError) in try body(connection) }
        }
    }

    /// Runs one statement and returns the rows it changed.
    ///
    /// - Parameter idempotent: running it twice has the effect of running it once (an
    ///   upsert, a delete by key, a read): then a `transient` failure is retried. A plain
    ///   `INSERT` is not: after a lost connection it may have committed.
    @discardableResult
    public func execute(
        _ sql: String, _ parameters: [DatabaseValue] = [], idempotent: Bool = false, timeout: Duration? = nil
    ) async throws(DatabaseError) -> Int {
        try await submit(retryable: idempotent, timeout: timeout) { connection throws(DatabaseError) in
            try connection.execute(sql, parameters)
        }
    }

    /// Runs one statement and returns its rows; `idempotent` as for ``execute(_:_:idempotent:timeout:)``
    /// (a `SELECT` is).
    public func query(
        _ sql: String, _ parameters: [DatabaseValue] = [], idempotent: Bool = false, timeout: Duration? = nil
    ) async throws(DatabaseError) -> [Row] {
        try await submit(retryable: idempotent, timeout: timeout) { connection throws(DatabaseError) in
            try connection.query(sql, parameters)
        }
    }

    // MARK: - Observing

    /// The pool's counters now.
    public func metrics() async throws(DatabaseError) -> PoolMetrics {
        let ref = try target()
        do {
            return try await ref.ask { .metrics($0) }
        } catch {
            throw Self.unreachable(error)
        }
    }

    /// Probes the database with `SELECT 1` through the pool (a request like any other: it
    /// waits for a connection, and fails at once while the breaker is open) and reports it
    /// with the counters, which include the probe.
    ///
    /// The counters of ``metrics()`` lag a request's result by a moment: a caller is told its
    /// outcome by the connection's thread, before the pool actor counts it.
    public func checkHealth(timeout: Duration? = nil) async -> PoolHealth {
        var failure: DatabaseError?
        do {
            // Held until the pool has counted it, so the counters below include the probe.
            try await submit(retryable: false, timeout: timeout, holdsReply: true) { connection throws(DatabaseError) in try connection.ping() }
        } catch {
            failure = error
        }
        let metrics: PoolMetrics
        do {
            metrics = try await self.metrics()
        } catch {
            metrics = PoolMetrics()
            failure = failure ?? error
        }
        return PoolHealth(failure: failure, metrics: metrics)
    }

    // MARK: - Plumbing

    /// Runs `body` on a pooled connection; `retryable` says whether running it again after a
    /// transient failure is safe. (The group-commit writer runs its groups through this.)
    func submit<Value: Sendable>(
        retryable: Bool,
        timeout: Duration?,
        holdsReply: Bool = false,
        _ body: @escaping @Sendable (any DatabaseConnection) throws(DatabaseError) -> Value
    ) async throws(DatabaseError) -> Value {
        let reply = try enqueue(retryable: retryable, timeout: timeout, holdsReply: holdsReply, body)
        // Cancellation wins only while the request waits; once its job started, the caller
        // waits for the real outcome (its work may commit).
        let cancelled = DatabaseError(
            .timeout, reason: "the task was cancelled while the request waited for a connection", remedy: "Nothing to do: the request did not run and will not."
        )
        return try await reply.wait(onCancel: { .failure(cancelled) }).get()
    }

    /// Hands a new request to the actor and returns only its reply: the caller must not keep
    /// the request alive, so that a request lost with a failed actor is released and fails
    /// its reply (see ``PoolRequest``'s `deinit`).
    private func enqueue<Value: Sendable>(
        retryable: Bool,
        timeout: Duration?,
        holdsReply: Bool,
        _ body: @escaping @Sendable (any DatabaseConnection) throws(DatabaseError) -> Value
    ) throws(DatabaseError) -> OneShot<Result<Value, DatabaseError>> {
        let target = try target()
        // Deadlines are measured on the clock of the pool's actor system.
        let now = target.system.clock.now
        let request = PoolRequest(
            submittedAt: now, deadline: now.advanced(by: timeout ?? options.defaultTimeout), retryable: retryable, holdsReply: holdsReply, body: body
        )
        let reply = request.reply
        switch target.trySend(.submit(request)) {
        case .enqueued:
            return reply
        case .full, .dropped, .timedOut:
            // More requests in flight than the pool can hold running and waiting.
            throw DatabaseError(
                .overloaded, reason: "the connection pool is over its bounds (\(options.maxConnections) connections, \(options.maxWaiters) waiters)",
                remedy: "The pool is saturated and did not run the request: retry later, shed load, or raise maxConnections/maxWaiters."
            )
        case .stopped, .cancelled:
            throw Self.stoppedError
        }
    }

    private func target() throws(DatabaseError) -> ActorRef<PoolMessage> {
        guard let target = actor.ref else {
            throw DatabaseError(
                .unavailable, reason: "the connection pool has not started",
                remedy: "Start the pool's actor first: place pool.childSpec(...) in the supervision tree."
            )
        }
        return target
    }

    private static let stoppedError = DatabaseError(
        .unavailable, reason: "the connection pool has stopped",
        remedy: "The pool's actor is not running: its supervisor gave up on it, or the system is shutting down."
    )

    private static func unreachable(_ error: AskError) -> DatabaseError {
        switch error {
        case .stopped: stoppedError
        case .mailboxFull, .dropped:
            DatabaseError(.overloaded, reason: "the connection pool did not take the request: \(error)", remedy: "The pool's mailbox is full: retry later, or look at its mailbox depth and metrics.")
        default: DatabaseError(.timeout, reason: "the connection pool did not answer: \(error)", remedy: "The pool is overloaded or stuck: look at its mailbox depth and metrics.")
        }
    }
}
