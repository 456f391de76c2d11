/// The caller's side of one worker pool job: its outcome (first one wins) and the signal
/// that interrupts its operation.
///
/// The caller holds only the ticket; the job (``TypedWorkerJob``) is held by the message
/// that carries it and by the pool's actor. So when the job is dropped without an outcome
/// (its message discarded by a stopping actor, or forgotten by a failed incarnation) its
/// `deinit` can still end the caller's wait, as a reply channel does for an ask.
final class WorkerJobTicket<Value: Sendable>: Sendable {
    /// The caller's outcome; its failure is always a ``WorkerPoolError``.
    let result = Completion<Value>()
    /// Completed when the job must end: the operation finished, or it was stopped.
    let interrupt = Completion<Void>()

    init() {}

    /// True once the caller has an outcome.
    var isFinished: Bool { result.current != nil }

    /// Ends the caller's wait with `error` (unless it has an outcome already) and
    /// interrupts the operation if it runs.
    func stop(_ error: WorkerPoolError) {
        result.fail(error)
        interrupt.succeed(())
    }

    /// Waits for the outcome; cancelling the waiting task stops the job.
    func outcome() async -> Result<Value, WorkerPoolError> {
        let outcome = await withTaskCancellationHandler {
            await result.wait()
        } onCancel: {
            stop(.cancelled)
        }
        return outcome.mapError { $0 as? WorkerPoolError ?? .failed($0) }
    }
}
