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
/// The behavior never leaves its actor's task, so it need not be `Sendable`. Its methods
/// run on the system's executor threads; they must not block the thread (use
/// ``BlockingPool`` for blocking C calls).
public protocol Behavior<Message>: SendableMetatype {
    /// The messages this actor accepts.
    associatedtype Message: Sendable

    /// Called once per incarnation before the first message. Throwing fails the start.
    nonisolated(nonsending) mutating func started(context: ActorContext<Message>) async throws

    /// Handles one message.
    nonisolated(nonsending) mutating func receive(_ message: Message, context: ActorContext<Message>) async throws

    /// Handles a lifecycle signal, such as the termination of a watched actor.
    nonisolated(nonsending) mutating func receiveSignal(_ signal: Signal, context: ActorContext<Message>) async throws

    /// Called once when the incarnation ends for any reason (stop, failure, restart), after
    /// its children have stopped. Last chance to release resources; cannot fail.
    nonisolated(nonsending) mutating func stopping(context: ActorContext<Message>) async
}

extension Behavior {
    /// Default: does nothing.
    public nonisolated(nonsending) mutating func started(context: ActorContext<Message>) async throws {}
    /// Default: ignores the signal.
    public nonisolated(nonsending) mutating func receiveSignal(_ signal: Signal, context: ActorContext<Message>) async throws {}
    /// Default: does nothing.
    public nonisolated(nonsending) mutating func stopping(context: ActorContext<Message>) async {}
}
