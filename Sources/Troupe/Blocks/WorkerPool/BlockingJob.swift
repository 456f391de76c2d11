/// One job of a blocking pool: a body to run on a pool thread and the continuation of the
/// task that waits for it.
///
/// # Ownership of the continuation
/// Exactly one party resumes it: the worker that moved the job from `queued` to `running`,
/// or whoever moved it from `new`/`queued` to `finished` (a full queue, the queue timeout,
/// cancellation, shutdown). Those moves happen under the pool's lock, so they exclude each
/// other; the resume itself happens after the lock is released.
// @unchecked Sendable: `phase`, `pendingRejection` and the links are guarded by the
// owning pool's lock; `timer` is written before the job is shared and only read after.
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
// @unchecked Sendable: `body` is immutable and `@Sendable`; `continuation` is set once by
// the submitting task before the job is shared, and resumed once by its owner (see
// ``BlockingJob``); `result` is touched only by the pool thread that runs the job.
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
