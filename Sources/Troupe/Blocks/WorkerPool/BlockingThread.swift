/// One thread the runtime owns that runs blocking jobs one after another, in the order they
/// were given, each with the thread's own `Context`.
///
/// For state that must be used from one thread only, such as a database connection:
/// the connection is made on the thread, used only by jobs on it, and closed on it.
///
/// ```swift
/// let db = try BlockingThread(name: "db-0", queueCapacity: 128, clock: system.clock) {
///     Connection?.none                            // connects lazily, on the thread
/// }
/// let rows = try await db.run(queueTimeout: .seconds(1)) { connection in
///     if connection == nil { connection = try configuration.connect() }
///     return try connection!.query("SELECT ...", [])
/// }
/// await db.shutdown()                             // the connection is released on its thread
/// ```
///
/// It is a ``BlockingPool`` of one thread: the same bounds (a bounded queue, queue timeouts,
/// cancellation while queued, all with ``BlockingPoolError``), the same lifecycle and the
/// same contract. A pool of connections is a set of these, one per connection, so each
/// connection stays on its thread while the pool's actor decides which one to use.
public final class BlockingThread<Context>: Sendable {
    private let pool: BlockingPool<Context>

    /// Starts the thread, which makes its context with `makeContext` before any job.
    ///
    /// - Throws: ``ConfigurationError`` if `queueCapacity` is below 1.
    public init(
        name: String,
        queueCapacity: Int,
        clock: any ActorClock,
        makeContext: @escaping @Sendable () -> Context
    ) throws(ConfigurationError) {
        pool = try BlockingPool(name: name, threads: 1, queueCapacity: queueCapacity, clock: clock) { _ in makeContext() }
    }

    /// The thread's name.
    public var name: String { pool.name }

    /// Runs `body` on the thread, after the jobs given before it, with the thread's context.
    ///
    /// - Parameter queueTimeout: how long the job may wait for its turn; nil: as long as it
    ///   takes. It does not limit the run itself.
    /// - Throws: ``BlockingPoolError``: ``BlockingPoolError/failed(_:)`` with what `body`
    ///   threw; any other case means `body` never ran.
    public nonisolated(nonsending) func run<Value: Sendable>(
        queueTimeout: Duration? = nil,
        _ body: @escaping @Sendable (inout Context) throws -> Value
    ) async throws(BlockingPoolError) -> Value {
        try await pool.run(queueTimeout: queueTimeout, body)
    }

    /// Rejects the queued jobs, lets the running one finish, and returns when the thread
    /// has exited (its context released on it).
    public nonisolated(nonsending) func shutdown() async {
        await pool.shutdown()
    }

    /// Queue depth and counters now (`threads` is 1).
    public var metrics: BlockingPoolMetrics { pool.metrics }

    /// True when called on this thread.
    public var isCurrentThread: Bool { pool.isCurrentThread }
}
