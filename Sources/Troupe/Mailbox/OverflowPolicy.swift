/// What a mailbox does with a message that arrives when it is full.
///
/// There is no unbounded mailbox: every actor chooses a capacity and one of these.
public enum OverflowPolicy: Sendable, Hashable {
    /// The sender waits for space (backpressure). Waiting senders are admitted in the order
    /// they arrived. With a `timeout`, a sender that waited that long gives up: its message
    /// goes to dead letters and `send` returns ``SendOutcome/timedOut``.
    /// `trySend` never waits: on a full mailbox it returns ``SendOutcome/full``.
    case suspend(timeout: Duration? = nil)
    /// The arriving message is discarded (dead letters, counted); ``SendOutcome/dropped``.
    case dropNewest
    /// The oldest queued message is discarded (dead letters, counted) to make room.
    case dropOldest
    /// The sender learns ``SendOutcome/full`` at once and can shed load.
    case fail
}
