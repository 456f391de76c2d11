import Glibc
import Synchronization

/// The threads and queue behind a ``BlockingPool``: owns the lock, the condition idle
/// threads wait on, and the ``BlockingJobQueue``; performs the effects the queue decides
/// (waking a thread, resuming a waiting task, cancelling a queue timeout).
///
/// # Locking
/// One lock guards the queue and every job's phase and links. Nothing is resumed, no user
/// code runs and no clock is called while it is held. Threads hold a strong reference to
/// the core until they exit, so a pool that is dropped still finishes its running jobs.
// Unchecked Sendable: `queue` and `liveThreads` are only accessed under `lock`, `condition` waits with it; `queuedJobs` and `spinningThreads` are atomics; the rest is immutable.
final class BlockingPoolCore<Context>: @unchecked Sendable {
    let name: String
    let clock: any ActorClock
    private let lock = Lock()
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var queue: BlockingJobQueue<Context> {
        didSet { queuedJobs.store(queue.count, ordering: .releasing) }
    }
    private var liveThreads: Int
    /// `queue.count`, readable without the lock by threads spinning for work; republished by
    /// `queue`'s observer after every change (all under the lock).
    private let queuedJobs = Atomic<Int>(0)
    /// 1 while a thread spins for work (at most one does): an offer that queues the only
    /// job leaves it to the spinner and signals nobody.
    private let spinningThreads = Atomic<Int>(0)
    /// Completed when the last thread has exited (after destroying its context).
    private let allExited = Completion<Void>()

    init(name: String, threads: Int, queueCapacity: Int, clock: any ActorClock) {
        self.name = name
        self.clock = clock
        queue = BlockingJobQueue(capacity: queueCapacity, threads: threads)
        liveThreads = threads
        condition = .allocate(capacity: 1)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        condition.deallocate()
    }

    /// Starts the threads; each makes its context first, on itself.
    func start(_ makeContext: @escaping @Sendable (Int) -> Context) {
        for index in 0..<queue.threads {
            // Detached: `shutdown` waits for `allExited`, which each thread reports as its
            // last act, so there is nothing left to join and no joiner may block.
            RuntimeThread.start(name: "\(name)-\(index)") { [self] in
                work(index, makeContext)
            }.detach()
        }
    }

    // MARK: Submitting

    /// Queues `job` and waits for its result (or its rejection).
    nonisolated(nonsending) func submit<Value: Sendable>(
        _ job: TypedBlockingJob<Context, Value>,
        queueTimeout: Duration?
    ) async -> Result<Value, BlockingPoolError> {
        await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<Value, BlockingPoolError>, Never>) in
                job.continuation = continuation
                if let queueTimeout {
                    let timer = ActionTimer(deadline: clock.now.advanced(by: queueTimeout)) { [self] in
                        abandon(job, reason: .timedOut(after: queueTimeout))
                    }
                    job.timer = timer
                    clock.schedule(timer)
                }
                offer(job)
            }
        } onCancel: {
            abandon(job, reason: .cancelled)
        }
    }

    private func offer(_ job: BlockingJob<Context>) {
        lock.lock()
        let offer = queue.offer(job)
        // The spinning thread (at most one) will take one job: a job queued behind another
        // still needs a sleeping thread woken, or it would wait for the spinner's job to end.
        let spinnerTakesIt = queue.count == 1 && spinningThreads.load(ordering: .sequentiallyConsistent) > 0
        lock.unlock()
        switch offer {
        case .queued(let wake):
            // Signalled after unlocking: a waiting thread counted itself idle under the lock
            // before it waited, so the signal cannot be lost. A spinning thread sees the job
            // without it (it checks the queue under the lock before it waits).
            if wake && !spinnerTakesIt { pthread_cond_signal(condition) }
        case .refused(let error):
            cancelTimer(of: job)
            job.reject(error)
        }
    }

    /// Ends a job's wait before it runs (queue timeout or cancellation), if it has not run.
    private func abandon(_ job: BlockingJob<Context>, reason: BlockingPoolError) {
        let mustReject = lock.withLock { queue.abandon(job, reason: reason) }
        guard mustReject else { return }
        cancelTimer(of: job)
        job.reject(reason)
    }

    private func cancelTimer(of job: BlockingJob<Context>) {
        if let timer = job.timer { clock.cancel(timer) }
    }

    // MARK: Threads

    private func work(_ index: Int, _ makeContext: @Sendable (Int) -> Context) {
        pthread_setspecific(blockingPoolThreadKey, Unmanaged.passUnretained(self).toOpaque())
        runJobs(index, makeContext)
        pthread_setspecific(blockingPoolThreadKey, nil)
        let last: Bool = lock.withLock {
            liveThreads -= 1
            return liveThreads == 0
        }
        if last { allExited.succeed(()) }
    }

    /// The thread's life: make its context, run jobs until the pool closes, then let the
    /// context go, all on this thread (a connection is opened and closed where it is used).
    private func runJobs(_ index: Int, _ makeContext: @Sendable (Int) -> Context) {
        var context = makeContext(index)
        while let job = nextJob() {
            cancelTimer(of: job)
            job.execute(&context)
            // Counted before the waiting task resumes, so metrics read after a job returned
            // include it.
            lock.withLock { queue.finished() }
            job.complete()
        }
    }

    /// The next job to run; waits while there is none; nil once the pool is closed.
    private func nextJob() -> BlockingJob<Context>? {
        var maySpin = true
        lock.lock()
        defer { lock.unlock() }
        while true {
            if let job = queue.take() { return job }
            if queue.isClosed { return nil }
            if maySpin {
                // Once, before the first sleep; the queue is checked again under the lock
                // after the spin, so a job offered while it ran is never missed.
                maySpin = false
                lock.unlock()
                spinForWork()
                lock.lock()
                continue
            }
            queue.idleThreads += 1
            pthread_cond_wait(condition, lock.pointer)
            queue.idleThreads -= 1
        }
    }

    /// Polls for a queued job for a few microseconds before the thread sleeps
    /// (``SpinWait``), so that the next job of a caller that awaits each one finds the
    /// thread awake. Measured on `store.pool.overhead` (one caller, one connection): 14 k
    /// queries/s without, 22–25 k with.
    /// One thread of the pool spins at a time: it is enough to take the next job, and idle
    /// threads of a large pool would otherwise all burn CPU after a burst.
    ///
    /// Called without the lock, and `spinningThreads` must be back to 0 before the caller
    /// takes the lock again: an offer that read 1 under the lock then knows the spinner will
    /// look at the queue under the lock after it. Resetting it later could lose a wake-up.
    private func spinForWork() {
        guard spinningThreads.compareExchange(expected: 0, desired: 1, ordering: .sequentiallyConsistent).exchanged else { return }
        defer { spinningThreads.store(0, ordering: .sequentiallyConsistent) }
        _ = SpinWait.poll { queuedJobs.load(ordering: .acquiring) > 0 }
    }

    // MARK: Closing

    /// Refuses new jobs, rejects the queued ones with `.shutDown` and tells the threads to
    /// exit once their running job is done. Does not wait.
    func close() {
        let dropped = lock.withLock { queue.close() }
        pthread_cond_broadcast(condition)
        for job in dropped {
            cancelTimer(of: job)
            job.reject(.shutDown)
        }
    }

    /// Closes the pool and waits until every thread has exited.
    func shutdown() async {
        close()
        _ = await allExited.wait()
    }

    var metrics: BlockingPoolMetrics {
        lock.withLock { queue.metrics }
    }

    /// True on one of this pool's threads.
    var isCurrentThread: Bool {
        pthread_getspecific(blockingPoolThreadKey) == Unmanaged.passUnretained(self).toOpaque()
    }
}

/// Which pool the current thread belongs to (each pool thread stores its core's address).
/// One process-wide key; it holds no state of any pool.
private let blockingPoolThreadKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
}()
