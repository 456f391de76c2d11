/// A subscription to an event bus topic, as returned by `subscribe`; pass it to
/// `unsubscribe` to end it early (it also ends when the subscriber stops).
public struct BusSubscription<Topic: Hashable & Sendable>: Sendable, Hashable {
    /// Unique within its bus.
    public let id: UInt64
    /// The topic subscribed to.
    public let topic: Topic
    /// The subscribing actor.
    public let subscriber: ActorPath
}
