/// Why a job given to a ``WorkerPool`` did not return a value.
public enum WorkerPoolError: Error, Sendable, CustomStringConvertible {
    /// `capacity` jobs already waited for a worker: refused at once, never ran.
    case queueFull(capacity: Int)
    /// The job's deadline passed. `started` says whether it had begun (it was then
    /// cancelled; cooperative cancellation means it may have done part of its work).
    case timedOut(after: Duration, started: Bool)
    /// The waiting task was cancelled; a running job was cancelled with it.
    case cancelled
    /// The job ran and threw this error.
    case failed(any Error)
    /// The pool's actor could not take the job (``AskError/mailboxFull(_:)``: its mailbox
    /// is full; ``AskError/stopped(_:)``: it has stopped), or it stopped or restarted
    /// while the job waited or ran (``AskError/stopped(_:)``; a running job was cancelled,
    /// and may have done part of its work).
    case unavailable(AskError)
    /// The pool's spec has not been placed in a tree yet.
    case notStarted

    public var description: String {
        switch self {
        case .queueFull(let capacity): "worker pool overloaded: \(capacity) jobs already wait"
        case .timedOut(let after, let started): "the job's deadline of \(after) passed \(started ? "while it ran" : "before it started")"
        case .cancelled: "the job was cancelled"
        case .failed(let error): "\(error)"
        case .unavailable(let error): "worker pool unavailable: \(error)"
        case .notStarted: "the worker pool has not been placed in an actor tree"
        }
    }
}
