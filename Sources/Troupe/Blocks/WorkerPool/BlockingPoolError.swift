/// Why a job given to a ``BlockingPool`` or ``BlockingThread`` did not return a value.
///
/// Every case except ``failed(_:)`` guarantees that the job's body never ran: a caller can
/// retry those without risking doing the work twice.
public enum BlockingPoolError: Error, Sendable, CustomStringConvertible {
    /// The queue already held `capacity` jobs waiting for a thread (load shedding).
    case queueFull(capacity: Int)
    /// No thread took the job within its queue timeout.
    case timedOut(after: Duration)
    /// The waiting task was cancelled before a thread took the job.
    case cancelled
    /// The pool was shut down (or dropped) before a thread took the job.
    case shutDown
    /// The job ran and its body threw this error.
    case failed(any Error)

    public var description: String {
        switch self {
        case .queueFull(let capacity): "blocking pool overloaded: \(capacity) jobs already wait for a thread"
        case .timedOut(let after): "no thread took the job within \(after)"
        case .cancelled: "the job was cancelled before it started"
        case .shutDown: "the blocking pool is shut down"
        case .failed(let error): "\(error)"
        }
    }
}
