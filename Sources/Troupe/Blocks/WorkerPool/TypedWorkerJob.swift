/// A job returning `Value`: the operation, and the caller's ``WorkerJobTicket``.
///
/// The caller waits on the ticket; the pool actor's background task runs the operation.
/// The operation runs in a child task raced against the ticket's `interrupt`: whichever
/// ends first, the other is ended too, so a stopped job's operation is cancelled and a
/// finished one's racer returns. The background task (and the worker it holds) ends only
/// when the operation has ended, so the concurrency limit counts a cancelled operation
/// until it has really stopped.
///
/// # Never lost
/// Only the message that carries the job and the pool's actor hold the job; the caller
/// holds the ticket. A job dropped without an outcome (its `.submit` discarded from the
/// mailbox of a pool that stopped, or forgotten by an incarnation that failed) fails its
/// caller in `deinit` with ``WorkerPoolError/unavailable(_:)`` instead of leaving it
/// waiting for ever. The pool's `stopping` hook fails the jobs it still holds the same way.
final class TypedWorkerJob<Value: Sendable>: WorkerJob {
    let id: UInt64
    let timeout: Duration?
    let ticket: WorkerJobTicket<Value>
    /// The pool's actor, named in the error of a job the pool lost or stopped.
    private let pool: ActorPath
    private let operation: @Sendable () async throws -> Value

    init(id: UInt64, timeout: Duration?, pool: ActorPath, operation: @escaping @Sendable () async throws -> Value) {
        self.id = id
        self.timeout = timeout
        self.pool = pool
        self.operation = operation
        ticket = WorkerJobTicket()
    }

    deinit {
        // A no-op when the caller already has its outcome (the usual case).
        ticket.stop(.unavailable(.stopped(pool)))
    }

    var isFinished: Bool { ticket.isFinished }

    func execute() async {
        guard !ticket.isFinished else { return }
        let (ticket, operation, pool) = (self.ticket, self.operation, self.pool)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    ticket.result.succeed(try await operation())
                } catch where Task.isCancelled {
                    // Cancelled without being stopped first (a stop sets the outcome before
                    // it interrupts): the pool's incarnation is ending and cancels its work.
                    ticket.result.fail(WorkerPoolError.unavailable(.stopped(pool)))
                } catch {
                    ticket.result.fail(WorkerPoolError.failed(error))
                }
                ticket.interrupt.succeed(())
            }
            group.addTask {
                _ = await ticket.interrupt.wait()
            }
            _ = await group.next()
            group.cancelAll()
        }
    }

    func stop(_ error: WorkerPoolError) {
        ticket.stop(error)
    }

    var stoppedBy: WorkerPoolError? {
        guard case .failure(let error as WorkerPoolError) = ticket.result.current else { return nil }
        switch error {
        case .timedOut, .cancelled: return error
        default: return nil
        }
    }
}
