/// What a worker pool's actor is told.
enum WorkerPoolMessage: Sendable {
    case submit(any WorkerJob)
    /// A job ended (through the system lane, from its background task).
    case finished(id: UInt64)
    /// A job's deadline passed (a timer).
    case deadline(id: UInt64, after: Duration)
    /// A caller gave up on its job (through the system lane: at most one per job). It may
    /// overtake the job's `.submit`, which then finds the job finished and drops it.
    case withdraw(id: UInt64)
    case metrics(ReplyTo<WorkerPoolMetrics>)
}

/// The actor behind a ``WorkerPool``: admits jobs (``WorkerPoolState``), runs each as its
/// own background work, arms their deadlines on the system clock, and cancels them on
/// deadline or withdrawal. Jobs run concurrently with each other and with the actor; the
/// actor only decides.
///
/// # When an incarnation ends
/// Whatever ends it (a stop, its own failure, a restart decided by its supervisor), no
/// caller is left waiting: the runtime cancels the running jobs (they are its background
/// work), then ``stopping(context:)`` fails every job it still holds, running or waiting,
/// with ``WorkerPoolError/unavailable(_:)`` (`stopped`). A job still in the mailbox is
/// handled by the next incarnation, or, if there is none, is discarded and fails its
/// caller the same way (see ``TypedWorkerJob``).
struct WorkerPoolBehavior: SynchronousBehavior {
    var state: WorkerPoolState<any WorkerJob>

    mutating func receiveSynchronously(_ message: WorkerPoolMessage, context: ActorContext<WorkerPoolMessage>) throws {
        switch message {
        case .submit(let job):
            switch state.submit(job.id, job, withdrawn: job.isFinished) {
            case .start(let job):
                armDeadline(of: job, context)
                start(job, context)
            case .queued:
                armDeadline(of: job, context)
            case .rejected:
                job.stop(.queueFull(capacity: state.queueCapacity))
            case .withdrawn:
                break
            }
        case .finished(let id):
            context.cancelTimer(Self.deadlineKey(id))
            let ending: WorkerPoolState<any WorkerJob>.Ending = switch state.runningJob(id)?.stoppedBy {
            case .timedOut: .timedOut
            case .cancelled: .cancelled
            default: .completed
            }
            for next in state.finished(id, ending) { start(next, context) }
        case .deadline(let id, let after):
            switch state.remove(id, timedOut: true) {
            case .waiting(let job): job.stop(.timedOut(after: after, started: false))
            case .running(let job): job.stop(.timedOut(after: after, started: true))
            case .unknown: break
            }
        case .withdraw(let id):
            switch state.remove(id, timedOut: false) {
            case .waiting, .running: context.cancelTimer(Self.deadlineKey(id))
            case .unknown: break
            }
        case .metrics(let reply):
            reply.reply(state.metrics)
        }
    }

    mutating func stopping(context: ActorContext<WorkerPoolMessage>) async {
        // Running jobs were cancelled already; one that ignored cancellation (past the
        // shutdown timeout) is failed here all the same. Deadline timers died with the
        // incarnation, so nothing else would end these callers' waits.
        let stopped = WorkerPoolError.unavailable(.stopped(context.path))
        for job in state.removeAll() { job.stop(stopped) }
    }

    private func start(_ job: any WorkerJob, _ context: ActorContext<WorkerPoolMessage>) {
        let id = job.id
        context.pipeToSelf({ await job.execute() }, map: { _ in .finished(id: id) })
    }

    private func armDeadline(of job: any WorkerJob, _ context: ActorContext<WorkerPoolMessage>) {
        guard let timeout = job.timeout else { return }
        context.startTimer(Self.deadlineKey(job.id), after: timeout, message: .deadline(id: job.id, after: timeout))
    }

    private static func deadlineKey(_ id: UInt64) -> String { "deadline-\(id)" }
}
