public import Troupe

/// Writes that wait at the same time share one transaction, so durability
/// (`synchronous=FULL`: one fsync per commit) does not cost throughput.
///
/// ```swift
/// let writer = GroupCommitWriter(pool: pool)
/// try await system.start(writer, name: "writer")      // after the pool
/// let id = try await writer.insert(
///     "INSERT INTO room_messages (room, user_id, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
///     [.text(room), .integer(user), .blob(body), .integer(now)]
/// )
/// ```
///
/// Each caller gets its own outcome: its value (a row id), or its own failure (a unique
/// violation) while the rest of its group commits. A group first runs without savepoints
/// (one round trip per write); when a write fails on its own, the group runs again with a
/// savepoint around each write, which isolates the failure. A caller hears of success only
/// after the commit.
///
/// # Bounds
/// At most ``WriterOptions/maxPending`` writes wait (one more fails at once with
/// `overloaded` and never runs), at most ``WriterOptions/maxGroupSize`` share a transaction, one group is in
/// flight at a time, and each group waits at most ``WriterOptions/timeout`` for a pool
/// connection. Groups go through the ``DatabasePool``, so its breaker and retries apply:
/// a group that fails `transient` is retried whole.
///
/// # Lifecycle
/// An actor under a supervisor, placed after its pool (a `rest-for-one` storage supervisor
/// restarts the writer when the pool restarts). Writes cannot be withdrawn once they joined
/// a group: a cancelled caller still waits for the commit's outcome.
///
/// # Concurrency contract
/// `Sendable`; every method may be called from any task. Bodies run on a pool connection's
/// thread: they may block, and must not await.
public final class GroupCommitWriter: BuildingBlock {
    /// Where groups run.
    public let pool: DatabasePool
    /// Bounds.
    public let options: WriterOptions
    /// The writer's actor, bound when its spec is placed (a write sent before the actor
    /// runs waits in its mailbox).
    private let actor = ChildRef<WriterMessage>()

    /// A writer whose groups run on `pool`'s connections.
    public init(pool: DatabasePool, options: WriterOptions = WriterOptions()) {
        self.pool = pool
        self.options = options
    }

    /// The spec that places the writer's actor in a tree as `name`. Use it once.
    public func childSpec(_ name: String, restart: RestartType) throws(ConfigurationError) -> ChildSpec {
        let pool = pool
        let options = options
        return try actor.childSpec(name, mailbox: try MailboxConfiguration(capacity: options.mailboxCapacity, overflow: .fail), restart: restart) {
            WriterBehavior(pool: pool, options: options)
        }
    }

    /// Runs `body` in the next group's transaction and returns its value once the group
    /// committed. `body` may run more than once (the group is run again after another
    /// write's failure, or retried after a transient one): it must only touch the
    /// connection.
    ///
    /// - Throws: what `body` threw (its savepoint rolled back, the group unaffected), or the
    ///   group's failure (`transient` after the pool's retries, `unavailable`, a failed
    ///   commit), or `overloaded` when the writer is full (the write did not run), or the
    ///   pool's `overloaded` when the group was refused by the pool (none of it ran).
    public func write<Value: Sendable>(
        _ body: @escaping @Sendable (any DatabaseConnection) throws(DatabaseError) -> Value
    ) async throws(DatabaseError) -> Value {
        let reply = try enqueue(body)
        let cancelled = DatabaseError(.timeout, reason: "the task was cancelled before the write joined a group", remedy: "Nothing to do: the write did not run and will not.")
        return try await reply.wait(onCancel: { .failure(cancelled) }).get()
    }

    /// Hands a new write to the actor and returns only its reply (so that a write lost with
    /// a failed actor is released and fails its reply).
    private func enqueue<Value: Sendable>(
        _ body: @escaping @Sendable (any DatabaseConnection) throws(DatabaseError) -> Value
    ) throws(DatabaseError) -> OneShot<Result<Value, DatabaseError>> {
        guard let target = actor.ref else {
            throw DatabaseError(
                .unavailable, reason: "the group-commit writer has not started",
                remedy: "Start the writer's actor first: place writer.childSpec(...) in the supervision tree, after its pool."
            )
        }
        let write = PendingWrite(body: body)
        let reply = write.reply
        switch target.trySend(.write(write)) {
        case .enqueued:
            return reply
        case .full, .dropped, .timedOut:
            throw DatabaseError(
                .overloaded, reason: "the group-commit writer's mailbox is full (\(options.mailboxCapacity))",
                remedy: "The database cannot keep up: the write did not run. Retry later or shed load."
            )
        case .stopped, .cancelled:
            throw DatabaseError(.unavailable, reason: "the group-commit writer has stopped", remedy: "The writer is not running: its supervisor gave up on it, or the system is shutting down.")
        }
    }

    /// Runs one statement in the next group; returns the rows it changed.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [DatabaseValue] = []) async throws(DatabaseError) -> Int {
        try await write { connection throws(DatabaseError) in try connection.execute(sql, parameters) }
    }

    /// Runs an `INSERT ... RETURNING id` in the next group; returns the id (the first
    /// column of the first row).
    public func insert(_ sql: String, _ parameters: [DatabaseValue] = []) async throws(DatabaseError) -> Int64 {
        try await write { connection throws(DatabaseError) in
            guard let row = try connection.queryFirst(sql, parameters) else {
                throw DatabaseError.misuse("insert expects the statement to return the new row's id (add RETURNING id)")
            }
            return try row.decode(Int64.self, at: 0)
        }
    }

    /// The writer's counters now.
    public func metrics() async throws(DatabaseError) -> WriterMetrics {
        guard let target = actor.ref else {
            throw DatabaseError(.unavailable, reason: "the group-commit writer has not started")
        }
        do {
            return try await target.ask { .metrics($0) }
        } catch {
            switch error {
            case .mailboxFull, .dropped:
                throw DatabaseError(.overloaded, reason: "the group-commit writer did not take the request: \(error)", remedy: "Its mailbox is full: retry later, or look at its mailbox depth.")
            default:
                throw DatabaseError(.timeout, reason: "the group-commit writer did not answer: \(error)", remedy: "Look at its mailbox depth and metrics.")
            }
        }
    }
}
