/// What became of one published event, per subscriber of its topic.
public struct PublishReport: Sendable, Hashable {
    /// Subscribers whose queue took the event (with `dropOldest`, possibly by dropping an
    /// older one).
    public var queued = 0
    /// Subscribers for which the event was dropped: queue full with `dropNewest`, or no
    /// room within the block timeout.
    public var dropped = 0
    /// Subscribers cut off by this event (policy `disconnect`).
    public var disconnected = 0

    /// A report with these counts (for comparisons in tests and logs).
    public init(queued: Int = 0, dropped: Int = 0, disconnected: Int = 0) {
        self.queued = queued
        self.dropped = dropped
        self.disconnected = disconnected
    }
}
