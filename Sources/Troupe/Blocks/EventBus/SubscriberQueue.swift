/// One subscriber's queue on an event bus: how many events may wait for it, and what a
/// publisher does when they are that many.
public struct SubscriberQueue: Sendable, Hashable {
    /// What happens to an event published while a subscriber's queue is full.
    public enum Overflow: Sendable, Hashable {
        /// The publisher waits for room, up to `timeout`; then the event is dropped for
        /// this subscriber (counted). Slows the publisher, and so every subscriber, by up
        /// to `timeout` per event: for subscribers that must not miss events.
        case blockPublisher(timeout: Duration)
        /// The oldest queued event is dropped to make room (counted): the subscriber sees
        /// the latest events.
        case dropOldest
        /// The new event is dropped (counted): the subscriber sees the earliest events.
        case dropNewest
        /// The subscription ends: a subscriber that cannot keep up is cut off, and its
        /// queued events are discarded.
        case disconnect
    }

    /// Most events waiting for the subscriber in the bus (its own mailbox holds more).
    public let capacity: Int
    /// What a publisher does when `capacity` events already wait.
    public let overflow: Overflow

    /// - Throws: ``ConfigurationError`` if `capacity` is below 1 or a block timeout is not
    ///   positive.
    public init(capacity: Int, overflow: Overflow) throws(ConfigurationError) {
        try ConfigurationError.requirePositive(capacity, "subscriber queue capacity")
        if case .blockPublisher(let timeout) = overflow {
            try ConfigurationError.requirePositive(timeout, "subscriber queue block timeout")
        }
        self.capacity = capacity
        self.overflow = overflow
    }

    /// The mailbox of the forwarder actor that is this queue.
    ///
    /// The forwarder takes events out of its mailbox a batch at a time (one lock per batch,
    /// not per event: 2.5 times the deliveries per second), and a batch in hand is no
    /// longer in the mailbox. So the mailbox holds `capacity - batch + 1` and the forwarder
    /// at most `capacity + 1` in all, the one being handed on included. `dropOldest` takes
    /// one at a time: an event already in hand could not be dropped for a newer one.
    var mailbox: MailboxConfiguration {
        let policy: OverflowPolicy = switch overflow {
        case .blockPublisher(let timeout): .suspend(timeout: timeout)
        case .dropOldest: .dropOldest
        case .dropNewest: .dropNewest
        case .disconnect: .fail
        }
        let batch = overflow == .dropOldest ? 1 : max(1, min(MailboxConfiguration.defaultBatchSize, capacity / 4))
        // Valid: capacity - batch + 1 >= 1 and batch >= 1; the timeout was checked in `init`.
        return try! MailboxConfiguration(capacity: capacity - batch + 1, overflow: policy, batchSize: batch)
    }
}
