import Synchronization  // Atomic

/// Bounded concurrency for async work: at most `maxConcurrent` jobs run at once, at most
/// `queueCapacity` wait, each may have a deadline, and overload is a typed refusal.
///
/// ```swift
/// let thumbnails = WorkerPool(try WorkerPoolConfiguration(maxConcurrent: 4, queueCapacity: 64))
/// try await system.start(thumbnails, name: "thumbnails")
/// do {
///     let image = try await thumbnails.run(timeout: .seconds(2)) { try await render(photo) }
/// } catch .queueFull {
///     reply("-BUSY")
/// }
/// ```
///
/// It prevents work started with no limit (a task per request, each holding memory and a
/// connection) and work that no one can cancel: every job belongs to the pool's actor,
/// which a supervisor stops.
///
/// # Bounds
/// `maxConcurrent` running jobs (a cancelled job keeps its worker until it has really
/// stopped), `queueCapacity` waiting ones, refused with ``WorkerPoolError/queueFull(capacity:)``
/// beyond. A deadline (per job, or the configuration's default) counts from submission: a
/// job still waiting then never runs; a running one is cancelled. The actor's mailbox is
/// bounded; a full one refuses at once too (``WorkerPoolError/unavailable(_:)``). A job
/// whose caller was cancelled before the pool saw it never takes a worker or a place.
///
/// # Restarts and stops
/// No caller waits for ever: when the pool's actor stops or restarts (a one-for-all
/// restart of its supervisor, say), every job it holds, waiting or running, fails with
/// ``WorkerPoolError/unavailable(_:)`` (running ones are cancelled first), and a job still
/// in its mailbox runs in the next incarnation or, if there is none, fails the same way.
/// Without a deadline, a job waits as long as the jobs ahead of it run: give one (per job
/// or `defaultTimeout`) to bound the wait itself.
///
/// # Concurrency contract
/// `Sendable`; every method may be called from any task. Jobs start in submission order.
/// A job runs as the pool actor's background work, not in the caller's task: cancelling
/// the caller cancels the job, and stopping the pool cancels every job. For blocking calls
/// use a ``BlockingPool`` instead: a job here runs on the actor system's threads and must
/// not block them.
public final class WorkerPool: BuildingBlock {
    /// Concurrency limit, queue capacity and default deadline; every incarnation of the actor
    /// starts an empty pool from it.
    public let configuration: WorkerPoolConfiguration
    /// The actor's mailbox (policy `fail`: a submitter never waits for it).
    public let mailbox: MailboxConfiguration
    /// Deadline of a metrics request; nil: the system's ask timeout.
    public let askTimeout: Duration?
    private let binding = BlockBinding<WorkerPoolMessage>()
    private let lastID = Atomic<UInt64>(0)

    /// A pool to place in a tree with ``childSpec(_:restart:)``. The actor's mailbox holds
    /// as many messages as the pool holds jobs, plus as many again for their completions.
    public init(_ configuration: WorkerPoolConfiguration, askTimeout: Duration? = nil) {
        self.configuration = configuration
        // Valid: positive, and saturating rather than overflowing for huge settings.
        let (sum, sumOverflowed) = configuration.queueCapacity.addingReportingOverflow(configuration.maxConcurrent)
        let (doubled, doubleOverflowed) = sum.multipliedReportingOverflow(by: 2)
        mailbox = try! MailboxConfiguration(
            capacity: sumOverflowed || doubleOverflowed ? Int.max : doubled, overflow: .fail
        )
        self.askTimeout = askTimeout
    }

    /// The spec that places the pool's actor under `name`; this pool's calls go to the actor
    /// it creates. Throws ``ConfigurationError/invalidName(_:)`` for a bad name.
    public func childSpec(_ name: String, restart: RestartType) throws(ConfigurationError) -> ChildSpec {
        let configuration = self.configuration
        return try binding.childSpec(name, mailbox: mailbox, restart: restart) {
            WorkerPoolBehavior(state: WorkerPoolState(
                maxConcurrent: configuration.maxConcurrent, queueCapacity: configuration.queueCapacity
            ))
        }
    }

    /// Runs `operation` when a worker is free and returns its result.
    ///
    /// - Parameter timeout: the job's deadline from now; nil: the configuration's default.
    /// - Throws: ``WorkerPoolError``.
    public nonisolated(nonsending) func run<Value: Sendable>(
        timeout: Duration? = nil,
        _ operation: @escaping @Sendable () async throws -> Value
    ) async throws(WorkerPoolError) -> Value {
        guard let ref = binding.ref else { throw .notStarted }
        // The job goes to the actor and only its ticket stays here (the scope ends this
        // task's reference to the job): a job the actor loses fails this wait when it is
        // released (see ``TypedWorkerJob``).
        let ticket: WorkerJobTicket<Value>
        let id = lastID.add(1, ordering: .relaxed).newValue
        do {
            let job = TypedWorkerJob(
                id: id, timeout: timeout ?? configuration.defaultTimeout, pool: ref.path, operation: operation
            )
            ticket = job.ticket
            switch ref.trySend(.submit(job)) {
            case .enqueued: break
            case .full, .dropped: throw WorkerPoolError.unavailable(.mailboxFull(ref.path))
            case .stopped, .timedOut, .cancelled: throw WorkerPoolError.unavailable(.stopped(ref.path))
            }
        }
        let result = await ticket.outcome()
        if case .failure(.cancelled) = result {
            // Frees its place in the queue now rather than when its turn comes.
            binding.deliverReliably(.withdraw(id: id))
        }
        return try result.get()
    }

    /// Running and waiting jobs, and counters.
    public nonisolated(nonsending) func metrics() async throws(WorkerPoolError) -> WorkerPoolMetrics {
        try await binding.ask(timeout: askTimeout, { .metrics($0) }, notStarted: WorkerPoolError.notStarted, unavailable: WorkerPoolError.unavailable)
    }
}
