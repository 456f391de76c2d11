/// A behavior whose handler never suspends: every message is handled at once, on the
/// sender's thread when the actor is idle (see ``Behavior/receiveImmediately(_:context:)``).
///
/// Conform to this instead of writing both handlers when nothing the actor does awaits:
/// counters, caches and rate limiters held in memory, routers that only forward.
///
/// ```swift
/// struct Counter: SynchronousBehavior {
///     var count = 0
///     mutating func receiveSynchronously(_ message: CounterMessage, context: ActorContext<CounterMessage>) throws {
///         switch message {
///         case .add(let amount): count += amount
///         case .read(let reply): reply.reply(count)
///         }
///     }
/// }
/// ```
public protocol SynchronousBehavior: Behavior {
    /// The messages this actor accepts (restated so it is inferred from
    /// ``receiveSynchronously(_:context:)``).
    associatedtype Message

    /// Handles one message without suspending. Throwing is a failure.
    mutating func receiveSynchronously(_ message: Message, context: ActorContext<Message>) throws
}

extension SynchronousBehavior {
    @inlinable
    public mutating func receiveImmediately(_ message: Message, context: ActorContext<Message>) throws -> Bool {
        try receiveSynchronously(message, context: context)
        return true
    }

    @inlinable
    public nonisolated(nonsending) mutating func receive(_ message: Message, context: ActorContext<Message>) async throws {
        try receiveSynchronously(message, context: context)
    }
}
