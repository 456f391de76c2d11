/// Threads the runtime owns, for blocking calls: `sqlite3_step`, libpq, `crypt`, file I/O.
///
/// Swift's cooperative pool has one thread per core (two on a small server) and never
/// grows: one blocking call on it halves the capacity of every actor and task in the
/// process, two stop them all. A blocking pool runs such calls on its own threads instead;
/// the awaiting task is suspended (its thread goes back to other work) and resumed with
/// the result through a continuation.
///
/// ```swift
/// let kdf = try BlockingPool(name: "kdf", threads: 2, queueCapacity: 64, clock: system.clock)
/// let hash = try await kdf.run(queueTimeout: .seconds(2)) { hashPassword(password) }
/// ...
/// await kdf.shutdown()
/// ```
///
/// # Per-thread context
/// Each thread makes a `Context` when it starts, on itself, passes it `inout` to every job
/// it runs, and lets it go on itself when the pool shuts down. State that must stay on one
/// thread (a database connection, a scratch buffer) lives there and never needs to be
/// `Sendable`. To run jobs on one *particular* thread (one connection per thread), use a
/// ``BlockingThread`` per connection.
///
/// # Bounds
/// `threads` threads; at most `queueCapacity` jobs wait for one, beyond that
/// ``BlockingPoolError/queueFull(capacity:)`` at once. A job may also give up waiting after
/// its `queueTimeout` (on the pool's clock) or when its task is cancelled; in every
/// rejection its body never ran. A running job cannot be interrupted: a blocking call has no
/// cancellation point, so its result is returned even if the task was cancelled meanwhile.
///
/// # Lifecycle
/// Threads start in `init`. ``shutdown()`` rejects the jobs still queued, lets running ones
/// finish and waits for every thread to exit; dropping the pool does the same without
/// waiting. An actor that owns a pool creates it in `started` and shuts it down in
/// `stopping`, so the pool lives and dies with its place in the supervision tree.
///
/// # Concurrency contract
/// `Sendable`; every method may be called from any task or thread. Jobs are taken in
/// arrival order; with one thread they also run in that order.
public final class BlockingPool<Context>: Sendable {
    let core: BlockingPoolCore<Context>

    /// Starts `threads` threads named `<name>-<n>`, each with the context `makeContext(n)`.
    ///
    /// - Parameters:
    ///   - queueCapacity: most jobs that may wait for a thread.
    ///   - clock: measures queue timeouts (usually the actor system's clock).
    /// - Throws: ``ConfigurationError`` if `threads` or `queueCapacity` is below 1.
    public init(
        name: String,
        threads: Int,
        queueCapacity: Int,
        clock: any ActorClock,
        makeContext: @escaping @Sendable (_ thread: Int) -> Context
    ) throws(ConfigurationError) {
        try ConfigurationError.requirePositive(threads, "blocking pool threads")
        try ConfigurationError.requirePositive(queueCapacity, "blocking pool queue capacity")
        core = BlockingPoolCore(name: name, threads: threads, queueCapacity: queueCapacity, clock: clock)
        core.start(makeContext)
    }

    deinit {
        core.close()
    }

    /// The name the threads are named after.
    public var name: String { core.name }

    /// Runs `body` on one of the pool's threads with that thread's context, and returns
    /// what it returns.
    ///
    /// - Parameter queueTimeout: how long the job may wait for a thread; nil: as long as it
    ///   takes. It does not limit the run itself.
    /// - Throws: ``BlockingPoolError``: ``BlockingPoolError/failed(_:)`` with what `body`
    ///   threw; any other case means `body` never ran.
    public nonisolated(nonsending) func run<Value: Sendable>(
        queueTimeout: Duration? = nil,
        _ body: @escaping @Sendable (inout Context) throws -> Value
    ) async throws(BlockingPoolError) -> Value {
        try await core.submit(TypedBlockingJob(body: body), queueTimeout: queueTimeout).get()
    }

    /// Rejects the queued jobs with ``BlockingPoolError/shutDown``, lets the running ones
    /// finish, and returns when every thread has exited (its context released on it).
    /// Later jobs are rejected. Safe to call more than once.
    public nonisolated(nonsending) func shutdown() async {
        await core.shutdown()
    }

    /// Threads, queue depth and counters now.
    public var metrics: BlockingPoolMetrics { core.metrics }

    /// True when called on one of this pool's threads (for assertions in code that must
    /// run there).
    public var isCurrentThread: Bool { core.isCurrentThread }
}

extension BlockingPool where Context == Void {
    /// Starts `threads` threads without per-thread context.
    ///
    /// - Throws: ``ConfigurationError`` if `threads` or `queueCapacity` is below 1.
    public convenience init(name: String, threads: Int, queueCapacity: Int, clock: any ActorClock) throws(ConfigurationError) {
        try self.init(name: name, threads: threads, queueCapacity: queueCapacity, clock: clock) { _ in () }
    }

    /// Runs `body` on one of the pool's threads and returns what it returns; the same
    /// bounds and errors as the context-passing `run`.
    public nonisolated(nonsending) func run<Value: Sendable>(
        queueTimeout: Duration? = nil,
        _ body: @escaping @Sendable () throws -> Value
    ) async throws(BlockingPoolError) -> Value {
        try await core.submit(TypedBlockingJob { (_: inout Void) in try body() }, queueTimeout: queueTimeout).get()
    }
}
