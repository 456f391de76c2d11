import Synchronization

/// A job of a ``WorkerPool`` as its actor sees it, whatever its result type.
protocol WorkerJob: AnyObject, Sendable {
    var id: UInt64 { get }
    /// The deadline from submission, if any.
    var timeout: Duration? { get }
    /// Runs the job in the calling (the pool actor's background) task, unless its caller
    /// already gave up; returns when the operation has ended.
    func execute() async
    /// Ends the caller's wait with `error` and, if the job is running, cancels it.
    func stop(_ error: WorkerPoolError)
    /// Why the job was stopped (deadline or cancellation), if it was stopped before it
    /// ended on its own.
    var stoppedBy: WorkerPoolError? { get }
}

/// A job returning `Value`: the operation, the caller's result (first outcome wins), and the
/// signal that cancels a running operation.
///
/// The caller waits on `result`; the pool actor's background task runs the operation. The
/// operation runs in a child task raced against `interrupt`: whichever ends first, the other
/// is ended too, so a stopped job's operation is cancelled and a finished one's racer
/// returns. The background task (and the worker it holds) ends only when the operation has
/// ended, so the concurrency limit counts a cancelled operation until it has really stopped.
final class TypedWorkerJob<Value: Sendable>: WorkerJob {
    let id: UInt64
    let timeout: Duration?
    private let operation: @Sendable () async throws -> Value
    /// The caller's outcome; its failure is always a ``WorkerPoolError``.
    let result = Completion<Value>()
    private let interrupt = Completion<Void>()

    init(id: UInt64, timeout: Duration?, operation: @escaping @Sendable () async throws -> Value) {
        self.id = id
        self.timeout = timeout
        self.operation = operation
    }

    func execute() async {
        guard result.current == nil else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                do {
                    result.succeed(try await operation())
                } catch {
                    result.fail(WorkerPoolError.failed(error))
                }
                interrupt.succeed(())
            }
            group.addTask { [self] in
                _ = await interrupt.wait()
            }
            _ = await group.next()
            group.cancelAll()
        }
    }

    func stop(_ error: WorkerPoolError) {
        result.fail(error)
        interrupt.succeed(())
    }

    var stoppedBy: WorkerPoolError? {
        guard case .failure(let error as WorkerPoolError) = result.current else { return nil }
        switch error {
        case .timedOut, .cancelled: return error
        default: return nil
        }
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
