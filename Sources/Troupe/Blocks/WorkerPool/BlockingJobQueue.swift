/// The queue of a blocking pool as a state machine: jobs waiting for a thread (bounded),
/// threads busy, and the counters behind the pool's metrics. It performs no effects and
/// takes no lock; its owner holds the pool's lock around every call and resumes waiting
/// tasks after releasing it.
///
/// # Invariants
/// - `count <= capacity`; a job is in the list exactly while its phase is `queued`.
/// - Jobs leave in arrival order, except that a job whose wait ended early (timeout,
///   cancellation) is unlinked at once, so it never holds a place another job could use.
/// - Once `isClosed`, nothing enters again.
struct BlockingJobQueue<Context> {
    /// What became of an offered job.
    enum Offer {
        /// Queued; `wake` says an idle thread should be signalled.
        case queued(wake: Bool)
        /// Refused; the caller rejects it with this error.
        case refused(BlockingPoolError)
    }

    let capacity: Int
    let threads: Int
    private var head: BlockingJob<Context>?
    private var tail: BlockingJob<Context>?
    private(set) var count = 0
    private(set) var isClosed = false
    /// Threads waiting for a job.
    var idleThreads = 0
    private(set) var running = 0
    private var highWaterMark = 0
    private var completed = 0
    private var rejectedFull = 0
    private var timedOut = 0
    private var cancelled = 0
    private var shutDown = 0

    init(capacity: Int, threads: Int) {
        self.capacity = capacity
        self.threads = threads
    }

    /// Offers a new job.
    mutating func offer(_ job: BlockingJob<Context>) -> Offer {
        if let pending = job.pendingRejection {
            job.phase = .finished
            tally(pending)
            return .refused(pending)
        }
        if isClosed {
            job.phase = .finished
            shutDown += 1
            return .refused(.shutDown)
        }
        guard count < capacity else {
            job.phase = .finished
            rejectedFull += 1
            return .refused(.queueFull(capacity: capacity))
        }
        job.phase = .queued
        job.previous = tail
        job.next = nil
        if let tail { tail.next = job } else { head = job }
        tail = job
        count += 1
        if count > highWaterMark { highWaterMark = count }
        return .queued(wake: idleThreads > 0)
    }

    /// The oldest queued job, now running; nil if none is queued.
    mutating func take() -> BlockingJob<Context>? {
        guard let job = head else { return nil }
        unlink(job)
        job.phase = .running
        running += 1
        return job
    }

    /// A thread finished running a job.
    mutating func finished() {
        running -= 1
        completed += 1
    }

    /// Ends a job's wait early (`reason` is `.timedOut` or `.cancelled`). Returns true if the
    /// caller must now reject it: it was queued. A job not yet offered keeps the reason and
    /// is refused when offered; a running or finished job is not affected.
    mutating func abandon(_ job: BlockingJob<Context>, reason: BlockingPoolError) -> Bool {
        switch job.phase {
        case .new:
            if job.pendingRejection == nil { job.pendingRejection = reason }
            return false
        case .queued:
            unlink(job)
            job.phase = .finished
            tally(reason)
            return true
        case .running, .finished:
            return false
        }
    }

    /// Refuses new jobs from now on and hands back the queued ones, to be rejected with
    /// `.shutDown`.
    mutating func close() -> [BlockingJob<Context>] {
        isClosed = true
        var dropped: [BlockingJob<Context>] = []
        while let job = head {
            unlink(job)
            job.phase = .finished
            dropped.append(job)
        }
        shutDown += dropped.count
        return dropped
    }

    var metrics: BlockingPoolMetrics {
        BlockingPoolMetrics(
            threads: threads, running: running, queued: count, queueCapacity: capacity,
            queueHighWaterMark: highWaterMark, completed: completed, rejectedFull: rejectedFull,
            timedOut: timedOut, cancelled: cancelled, shutDown: shutDown
        )
    }

    private mutating func tally(_ rejection: BlockingPoolError) {
        switch rejection {
        case .timedOut: timedOut += 1
        case .cancelled: cancelled += 1
        case .shutDown: shutDown += 1
        case .queueFull: rejectedFull += 1
        case .failed: break
        }
    }

    private mutating func unlink(_ job: BlockingJob<Context>) {
        if let previous = job.previous { previous.next = job.next } else { head = job.next }
        if let next = job.next { next.previous = job.previous } else { tail = job.previous }
        job.previous = nil
        job.next = nil
        count -= 1
    }
}
