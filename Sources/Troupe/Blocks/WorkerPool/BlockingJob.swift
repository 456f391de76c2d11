/// One job of a blocking pool: a body to run on a pool thread and the continuation of the
/// task that waits for it.
///
/// # Ownership of the continuation
/// Exactly one party resumes it: the worker that moved the job from `queued` to `running`,
/// or whoever moved it from `new`/`queued` to `finished` (a full queue, the queue timeout,
/// cancellation, shutdown). Those moves happen under the pool's lock, so they exclude each
/// other; the resume itself happens after the lock is released.
///
/// # Sendability
/// `phase`, `pendingRejection` and the links are guarded by the owning pool's lock.
/// `timer` is not: the submitting task writes it before it offers the job, and the offer
/// moves `phase` out of `new` under the lock. The job is shared before that (the task's
/// cancellation handler and the timer's action hold it), but while the phase is `new`
/// they only set `pendingRejection`; every other party reads `timer` only after it has
/// seen, under the lock, a phase other than `new` (a worker that took the job, an abandon
/// or a close that unqueued it), so the lock orders the write before the read. A job the
/// offer refuses is handled by the submitting task itself.
// Unchecked Sendable: the pool's lock guards the state; `timer` is ordered by the move out of `new` (# Sendability).
class BlockingJob<Context>: @unchecked Sendable {
    enum Phase {
        /// Made; not yet offered to the queue.
        case new
        case queued
        case running
        case finished
    }

    var phase = Phase.new
    /// A cancellation or timeout that came while the job was still `new`: the queue
    /// refuses it when it is offered.
    var pendingRejection: BlockingPoolError?
    /// The queue timeout, if any.
    var timer: ClockTimer?
    var previous: BlockingJob?
    var next: BlockingJob?

    /// Runs the body on the calling (pool) thread and keeps its result for ``complete()``.
    func execute(_ context: inout Context) {
        preconditionFailure("execute must be overridden")
    }

    /// Resumes the waiting task with the result of ``execute(_:)``.
    func complete() {
        preconditionFailure("complete must be overridden")
    }

    /// Resumes the waiting task with `error`; the body never runs.
    func reject(_ error: BlockingPoolError) {
        preconditionFailure("reject must be overridden")
    }
}

/// A job whose body returns `Value`.
///
/// # Sendability
/// `body` is immutable and `@Sendable`. `continuation` is written once by the submitting
/// task before it offers the job, like `timer`; the only other party that touches it is
/// the one that moves the job out of `queued` under the pool's lock, which can happen only
/// after the offer made it `queued`, after that write (see ``BlockingJob``). `result` is
/// touched only by the pool thread that runs the job.
// Unchecked Sendable: `continuation` is ordered like `timer` (see # Sendability); `result` stays on one thread.
final class TypedBlockingJob<Context, Value: Sendable>: BlockingJob<Context>, @unchecked Sendable {
    private let body: @Sendable (inout Context) throws -> Value
    var continuation: UnsafeContinuation<Result<Value, BlockingPoolError>, Never>?
    /// Written by ``execute(_:)`` and read by ``complete()``, on the same pool thread.
    private var result: Result<Value, BlockingPoolError>?

    init(body: @escaping @Sendable (inout Context) throws -> Value) {
        self.body = body
    }

    override func execute(_ context: inout Context) {
        do {
            result = .success(try body(&context))
        } catch {
            result = .failure(.failed(error))
        }
    }

    override func complete() {
        guard let result = result.take() else { return }
        continuation.take()?.resume(returning: result)
    }

    override func reject(_ error: BlockingPoolError) {
        continuation.take()?.resume(returning: .failure(error))
    }
}
