/// A subscription to an event bus topic, as returned by `subscribe`; pass it to
/// `unsubscribe` to end it early (an actor's also ends when the actor stops; a sink's only
/// on `unsubscribe` or a restart of the bus actor).
public struct BusSubscription<Topic: Hashable & Sendable>: Sendable, Hashable {
    /// Unique within its bus for the bus's whole life, restarts of the bus actor included:
    /// a subscription that has ended can never end another.
    public let id: UInt64
    /// The topic subscribed to.
    public let topic: Topic
    /// The subscribing actor; for a sink subscription (a sink is no actor), the bus
    /// actor's own path.
    public let subscriber: ActorPath
}
