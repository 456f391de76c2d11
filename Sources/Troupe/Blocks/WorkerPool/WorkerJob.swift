/// A job of a ``WorkerPool`` as its actor sees it, whatever its result type.
protocol WorkerJob: AnyObject, Sendable {
    var id: UInt64 { get }
    /// The deadline from submission, if any.
    var timeout: Duration? { get }
    /// True once its caller has an outcome: it gave up (cancellation) or the job was
    /// stopped. The pool neither queues nor runs such a job.
    var isFinished: Bool { get }
    /// Runs the job in the calling (the pool actor's background) task, unless its caller
    /// already gave up; returns when the operation has ended.
    func execute() async
    /// Ends the caller's wait with `error` and, if the job is running, cancels it.
    func stop(_ error: WorkerPoolError)
    /// Why the job was stopped (deadline or cancellation), if it was stopped before it
    /// ended on its own.
    var stoppedBy: WorkerPoolError? { get }
}
