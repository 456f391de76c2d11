/// What an actor is: its state plus how it handles each message.
///
/// A behavior is a value (usually a struct) whose stored properties are the actor's state.
/// The runtime keeps one instance per incarnation, created by the factory in the actor's
/// spec, and calls its methods one at a time: ``receive(_:context:)`` runs to completion,
/// awaits included, before the next message starts. Unlike a Swift `actor`, nothing else
/// runs against this state while a handler is suspended, so a check-then-act across an
/// `await` stays atomic.
///
/// Throwing from any method is a failure: the actor's supervisor decides whether to
/// restart it with fresh state from the factory, stop it, or escalate. A Swift trap
/// (force-unwrap of nil, array index out of range, `fatalError`) cannot be caught and ends
/// the process: it is a bug, not a failure.
///
/// # Concurrency contract
/// The behavior never leaves its actor, so it need not be `Sendable`: one method runs at a
/// time, and the runtime orders the hand-overs between threads. Its methods run on the
/// system's executor threads, except ``receiveImmediately(_:context:)``, which may run on
/// the thread of whoever sent the message (an immediate turn); none may block the thread
/// (use ``BlockingPool`` for blocking C calls).
public protocol Behavior<Message>: SendableMetatype {
    /// The messages this actor accepts.
    associatedtype Message: Sendable

    /// Called once per incarnation before the first message. Throwing fails the start.
    nonisolated(nonsending) mutating func started(context: ActorContext<Message>) async throws

    /// Handles one message.
    nonisolated(nonsending) mutating func receive(_ message: Message, context: ActorContext<Message>) async throws

    /// Handles `message` at once, without suspending, if it can; returns false to have
    /// ``receive(_:context:)`` handle it instead. Every message is offered here first.
    ///
    /// Why: a message to an idle actor normally wakes the actor's task, and that wake-up is
    /// most of what a hop costs. When the actor is idle (nothing queued, its task parked),
    /// the runtime instead runs this method on the sender's thread, holding the actor's
    /// turn: one message at a time and mailbox order are kept, and an ask whose handler
    /// replies here completes without either side suspending. A handler that needs to
    /// await (storage, another actor's reply) returns false and gets the message in
    /// ``receive(_:context:)`` on the actor's own task, as always.
    ///
    /// It must not block, and should be short: it runs on whichever thread sent the message
    /// (an executor worker, a task of the embedding program, the server's event loop).
    /// Throwing is a failure, as from ``receive(_:context:)``.
    ///
    /// Default: returns false (every message goes to ``receive(_:context:)``), and the
    /// runtime stops offering this actor's messages to other threads.
    mutating func receiveImmediately(_ message: Message, context: ActorContext<Message>) throws -> Bool

    /// Handles a lifecycle signal, such as the termination of a watched actor.
    nonisolated(nonsending) mutating func receiveSignal(_ signal: Signal, context: ActorContext<Message>) async throws

    /// Called once when the incarnation ends for any reason (stop, failure, restart), after
    /// its children have stopped. Last chance to release resources; cannot fail.
    nonisolated(nonsending) mutating func stopping(context: ActorContext<Message>) async
}

extension Behavior {
    /// Default: declines every message, and marks the actor as one whose messages are never
    /// worth running on the sender's thread.
    @inlinable
    public mutating func receiveImmediately(_ message: Message, context: ActorContext<Message>) throws -> Bool {
        context.cell.declineImmediateTurns()
        return false
    }

    /// Default: does nothing.
    public nonisolated(nonsending) mutating func started(context: ActorContext<Message>) async throws {}
    /// Default: ignores the signal.
    public nonisolated(nonsending) mutating func receiveSignal(_ signal: Signal, context: ActorContext<Message>) async throws {}
    /// Default: does nothing.
    public nonisolated(nonsending) mutating func stopping(context: ActorContext<Message>) async {}
}
