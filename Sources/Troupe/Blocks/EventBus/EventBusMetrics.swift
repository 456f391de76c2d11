/// A snapshot of an event bus: each actor subscription's queue, the sinks' counters, the
/// bus actor's mailbox, and what ended subscriptions.
///
/// Counters are those of the bus actor's current incarnation (a restart, which ends every
/// subscription, starts them from zero), except ``sinkEventsDropped``, counted since the
/// bus was made.
public struct EventBusMetrics: Sendable, Hashable {
    /// One subscription's queue.
    public struct Subscriber: Sendable, Hashable {
        /// The subscription's id (``BusSubscription/id``).
        public let id: UInt64
        /// The subscribing actor.
        public let subscriber: ActorPath
        /// The queue's capacity and overflow policy, as given to `subscribe`.
        public let queue: SubscriberQueue
        /// Events waiting in the bus for this subscriber now, and the most ever (never
        /// above the queue's capacity; a batch being handed on is not counted here, and
        /// with it the queue still holds at most its capacity plus one).
        public let depth: Int
        public let highWaterMark: Int
        /// Events dropped for this subscriber (overflow or block timeout).
        public let dropped: Int
        /// Publishers waiting for room in this queue now (policy `blockPublisher`).
        public let waitingPublishers: Int
        /// Events handed on to the subscriber's mailbox (or being handed on).
        public let forwarded: Int
    }

    /// Live actor subscriptions, in subscription order.
    public var subscribers: [Subscriber] = []
    /// Live sink subscriptions.
    public var sinkSubscriptions = 0
    /// Events a sink took (each sink that took an event counts once).
    public var sinkDeliveries = 0
    /// Events a full sink refused (``EventSink/offer(_:)`` returned false): dropped for
    /// that sink.
    public var sinkRefusals = 0
    /// Events for sinks that the bus actor's full mailbox refused, each dropped for every
    /// sink of its topic (counted once per event).
    public var sinkEventsDropped = 0
    /// Messages in the bus actor's mailbox now (subscription requests and events waiting
    /// to be offered to sinks), and the most ever (at most its capacity).
    public var busMailboxDepth = 0
    public var busMailboxHighWaterMark = 0
    /// Subscriptions ended by the `disconnect` policy, by the subscriber's stop (death
    /// watch), and by `unsubscribe` (sink subscriptions included).
    public var disconnected = 0
    public var subscriberStopped = 0
    public var unsubscribed = 0

    /// No subscribers, all counters zero.
    public init() {}
}
