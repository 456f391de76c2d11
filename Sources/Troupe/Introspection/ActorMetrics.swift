/// A snapshot of one actor's counters.
///
/// Counters accumulate over the actor's life, across restarts. `processed` and the latency
/// histogram are published by the actor at batch boundaries, so they may trail the messages
/// in flight by up to one batch.
public struct ActorMetrics: Sendable, Hashable {
    /// The actor's path in the supervision tree.
    public let path: ActorPath
    /// The actor's lifecycle state when the snapshot was taken.
    public let state: ActorState
    /// Messages queued now.
    public let mailboxDepth: Int
    /// Senders waiting for room now (policy `suspend`).
    public let suspendedSenders: Int
    /// The most messages the mailbox holds before its overflow policy applies.
    public let mailboxCapacity: Int
    /// The deepest the mailbox has ever been.
    public let highWaterMark: Int
    /// Messages accepted into the mailbox.
    public let enqueued: Int
    /// Messages handled (successfully or not).
    public let processed: Int
    /// Messages this actor's mailbox refused or discarded (overflow, timeout, stop).
    public let dropped: Int
    /// Incarnations started after the first.
    public let restarts: Int
    /// Time spent in `receive`, sampled: the first message of every eighth batch (the
    /// eighth, sixteenth, ...) is timed, so an actor that handled fewer than eight batches
    /// has an empty histogram, and timing costs nothing on most batches.
    public let handlingLatency: LatencyHistogram
}
