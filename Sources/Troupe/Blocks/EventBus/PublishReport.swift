/// What became of one published event, per subscriber of its topic.
///
/// Sinks count as the publisher last saw them: `queued` when the event entered the bus
/// actor's mailbox to be offered to them (a full sink may still refuse it: see
/// ``EventBusMetrics/sinkRefusals``), `dropped` when that mailbox was full.
public struct PublishReport: Sendable, Hashable {
    /// Subscribers whose queue took the event (with `dropOldest`, possibly by dropping an
    /// older one).
    public var queued = 0
    /// Subscribers for which the event was dropped: queue full with `dropNewest`, no room
    /// within the block timeout, or (sinks) the bus actor's mailbox full.
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
