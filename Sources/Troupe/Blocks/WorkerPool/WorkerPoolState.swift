/// A worker pool's admission as a pure state machine: which jobs run, which wait (in
/// arrival order, bounded), and the counters. It runs nothing; the pool's actor starts the
/// jobs it is told to start and reports back.
///
/// # Invariants
/// - `running.count <= maxConcurrent`; `waiting.count <= queueCapacity`.
/// - A job waits only while `maxConcurrent` jobs run: a finishing job hands its worker to
///   the oldest waiting job at once.
/// - A job removed while waiting (deadline, cancellation) frees its place immediately;
///   its id stays in `order` until it reaches the front, where it is skipped.
/// - A job whose caller gave up before its submission arrived is never admitted: it takes
///   neither a worker nor a place in the queue.
struct WorkerPoolState<Job> {
    /// What became of a submitted job.
    enum Admission {
        /// Start it now.
        case start(Job)
        /// It waits for a worker.
        case queued
        /// Refused: the queue is full.
        case rejected
        /// Its caller had already given up: dropped, counted as cancelled.
        case withdrawn
    }

    /// What a job was when it was removed.
    enum Removal {
        case waiting(Job)
        case running(Job)
        case unknown
    }

    let maxConcurrent: Int
    let queueCapacity: Int
    private var running: [UInt64: Job] = [:]
    private var waiting: [UInt64: Job] = [:]
    /// Waiting ids in arrival order from `head`; removed ones are skipped.
    private var order: [UInt64] = []
    private var head = 0
    private(set) var metrics = WorkerPoolMetrics()

    init(maxConcurrent: Int, queueCapacity: Int) {
        self.maxConcurrent = maxConcurrent
        self.queueCapacity = queueCapacity
        metrics.maxConcurrent = maxConcurrent
        metrics.queueCapacity = queueCapacity
    }

    /// A job arrives. `withdrawn`: its caller gave up before the pool saw it (its
    /// withdrawal travels on the system lane and may overtake the submission).
    mutating func submit(_ id: UInt64, _ job: Job, withdrawn: Bool) -> Admission {
        defer { publishGauges() }
        if withdrawn {
            metrics.cancelled += 1
            return .withdrawn
        }
        if running.count < maxConcurrent {
            running[id] = job
            return .start(job)
        }
        guard waiting.count < queueCapacity else {
            metrics.rejected += 1
            return .rejected
        }
        waiting[id] = job
        order.append(id)
        return .queued
    }

    /// How a running job ended.
    enum Ending {
        /// On its own: it returned or threw.
        case completed
        /// It was stopped at its deadline, or because its caller gave up.
        case timedOut
        case cancelled
    }

    /// The running job `id`, if it is running.
    func runningJob(_ id: UInt64) -> Job? {
        running[id]
    }

    /// Job `id` ended as `ending`; returns the jobs to start in its place (oldest first).
    mutating func finished(_ id: UInt64, _ ending: Ending) -> [Job] {
        guard running.removeValue(forKey: id) != nil else { return [] }
        switch ending {
        case .completed: metrics.completed += 1
        case .timedOut: metrics.timedOut += 1
        case .cancelled: metrics.cancelled += 1
        }
        return admitWaiting()
    }

    /// Removes job `id` if it waits (its deadline passed, `timedOut`, or its caller gave up).
    /// A running job is only reported: it keeps its worker until it has actually ended
    /// (``finished(_:_:)`` counts it then), so the limit holds even for a job slow to honour
    /// cancellation.
    mutating func remove(_ id: UInt64, timedOut: Bool) -> Removal {
        defer { publishGauges() }
        if let job = waiting.removeValue(forKey: id) {
            if timedOut { metrics.timedOut += 1 } else { metrics.cancelled += 1 }
            compactIfSparse()
            return .waiting(job)
        }
        if let job = running[id] { return .running(job) }
        return .unknown
    }

    /// Forgets every job, running ones first, then the waiting ones in arrival order, and
    /// returns them (to be failed: the pool is stopping). The counters stay.
    mutating func removeAll() -> [Job] {
        defer { publishGauges() }
        let jobs = Array(running.values) + order[head...].compactMap { waiting[$0] }
        running.removeAll()
        waiting.removeAll()
        order.removeAll()
        head = 0
        return jobs
    }

    private mutating func admitWaiting() -> [Job] {
        defer { publishGauges() }
        var started: [Job] = []
        while running.count < maxConcurrent, head < order.count {
            let id = order[head]
            head += 1
            guard let job = waiting.removeValue(forKey: id) else { continue }
            running[id] = job
            started.append(job)
        }
        // Give the skipped prefix back once it is most of the array.
        if head > 64 && head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
        return started
    }

    /// Drops removed ids from `order` when they outnumber the waiting ones, so that jobs
    /// abandoned while every worker is stuck cannot grow it without bound.
    private mutating func compactIfSparse() {
        guard order.count - head > 2 * waiting.count + 64 else { return }
        order = order[head...].filter { waiting[$0] != nil }
        head = 0
    }

    private mutating func publishGauges() {
        metrics.running = running.count
        metrics.queued = waiting.count
        metrics.runningHighWaterMark = max(metrics.runningHighWaterMark, running.count)
    }
}
