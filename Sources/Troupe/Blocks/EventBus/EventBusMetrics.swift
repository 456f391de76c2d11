/// A snapshot of an event bus: each subscription's queue, and what ended subscriptions.
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

    /// Live subscriptions, in subscription order.
    public var subscribers: [Subscriber] = []
    /// Subscriptions ended by the `disconnect` policy, by the subscriber's stop (death
    /// watch), and by `unsubscribe`.
    public var disconnected = 0
    public var subscriberStopped = 0
    public var unsubscribed = 0

    /// No subscribers, all counters zero.
    public init() {}
}
