/// The address of an actor that accepts `Message`: the only way to talk to it.
///
/// A ref stays valid across restarts (it points at the actor's cell, not at one
/// incarnation); messages sent while the actor restarts wait in its mailbox. After the
/// actor stopped for good, sends return ``SendOutcome/stopped`` and the message goes to
/// dead letters.
///
/// # Concurrency contract
/// Refs are `Sendable` values; every method may be called from any task or thread. Two
/// messages sent by the same task arrive in the order they were sent.
public struct ActorRef<Message: Sendable>: Sendable, Hashable, CustomStringConvertible {
    @usableFromInline let cell: ActorCell<Message>

    @inlinable
    init(cell: ActorCell<Message>) {
        self.cell = cell
    }

    /// Where the actor sits in the tree.
    public var path: ActorPath { cell.path }

    /// The system the actor runs in (its clock measures a façade's deadlines).
    package var system: ActorSystem { cell.system }

    public var description: String { "ActorRef(\(cell.path))" }

    /// Offers `message` without ever suspending; the outcome says what became of it.
    /// On a full mailbox: ``SendOutcome/full`` for the `suspend` and `fail` policies,
    /// ``SendOutcome/dropped`` for `dropNewest`; `dropOldest` makes room.
    @inlinable
    @discardableResult
    public func trySend(_ message: Message) -> SendOutcome {
        cell.trySend(message)
    }

    /// Sends `message`. With the `suspend` policy a full mailbox makes the caller wait for
    /// room (in arrival order, up to the policy's timeout); other policies never wait.
    @inlinable
    @discardableResult
    public nonisolated(nonsending) func send(_ message: Message) async -> SendOutcome {
        await cell.send(message)
    }

    /// Sends a request built around a ``ReplyTo`` and waits for the reply.
    ///
    /// ```swift
    /// let balance = try await account.ask { .balance(replyTo: $0) }
    /// ```
    ///
    /// - Parameter timeout: how long to wait for the reply, including any wait for mailbox
    ///   room; default: the system's `askTimeout`.
    /// - Throws: ``AskError``: a timeout, a refused or dropped request, the actor stopping
    ///   (at once, not at the deadline), a request handled without reply, cancellation of
    ///   the calling task, the error the actor replied with, or, asked from inside a
    ///   handler, a cycle of actors waiting on each other (``AskError/deadlock(cycle:)``).
    @inlinable @inline(__always)
    public nonisolated(nonsending) func ask<Reply: Sendable>(
        timeout: Duration? = nil,
        _ makeRequest: (ReplyTo<Reply>) -> Message
    ) async throws(AskError) -> Reply {
        try await performAsk(
            target: cell, timeout: timeout, makeRequest,
            tryTurn: { [cell] request in cell.tryImmediateTurn(request) },
            offer: { [cell] request, waiter in cell.offerWithoutWaiting(request, settling: waiter) },
            wait: { [cell] request, limit, _ in await cell.park(request, waitLimit: limit).0 }
        )
    }

    /// The actor's counters now.
    public var metrics: ActorMetrics { cell.metricsSnapshot() }

    /// The actor's lifecycle state now.
    public var state: ActorState { cell.currentState }

    /// Waits until the actor has stopped for good and returns why; returns at once if it
    /// already has. (Death watch for code outside actors; actors use ``ActorContext/watch(_:)``.)
    ///
    /// - Throws: `CancellationError` if the waiting task is cancelled first; the watch is
    ///   then removed, so abandoned waits leave nothing behind on the actor.
    public func termination() async throws(CancellationError) -> ExitReason {
        let completion = Completion<ExitReason>()
        let watcher = Watcher.completion(completion)
        cell.addWatcher(watcher)
        let result = await withTaskCancellationHandler {
            await completion.wait()
        } onCancel: {
            completion.fail(CancellationError())
        }
        guard case .success(let reason) = result else {
            cell.removeWatcher(watcher.id)
            throw CancellationError()
        }
        return reason
    }

    public static func == (lhs: ActorRef, rhs: ActorRef) -> Bool {
        lhs.cell === rhs.cell
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(ObjectIdentifier(cell))
    }
}
