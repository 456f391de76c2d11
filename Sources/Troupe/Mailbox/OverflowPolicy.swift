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

/// The result of offering a message to an actor.
public enum SendOutcome: Sendable, Hashable {
    /// The message is in the mailbox and will be handled (unless the actor stops first).
    case enqueued
    /// The mailbox was full and its policy is ``OverflowPolicy/dropNewest``.
    case dropped
    /// The mailbox was full and the policy is ``OverflowPolicy/fail``, or `trySend` met a
    /// full ``OverflowPolicy/suspend(timeout:)`` mailbox.
    case full
    /// The actor has stopped (or is stopping) and takes no more messages.
    case stopped
    /// The sender waited for space longer than the policy's timeout.
    case timedOut
    /// The sending task was cancelled while it waited for space.
    case cancelled

    /// True only for ``enqueued``.
    public var isEnqueued: Bool { self == .enqueued }
}

/// How an actor's mailbox is bounded and drained.
public struct MailboxConfiguration: Sendable, Hashable {
    /// Maximum number of queued user messages (system messages have their own lane).
    public let capacity: Int
    /// What happens to a message that arrives when the mailbox is full.
    public let overflow: OverflowPolicy
    /// Fairness bound: messages handled in one turn before the actor yields its thread to
    /// other actors. Larger batches amortise locking; smaller ones bound latency for others.
    public let batchSize: Int

    /// Default for ``batchSize``.
    public static let defaultBatchSize = 64

    /// A supervisor's mailbox: supervisors take no user messages.
    static let supervisor = MailboxConfiguration(uncheckedCapacity: 1)

    private init(uncheckedCapacity: Int) {
        capacity = uncheckedCapacity
        overflow = .fail
        batchSize = 1
    }

    /// - Throws: ``ConfigurationError`` if `capacity` or `batchSize` is below 1, or the
    ///   suspend timeout is not positive.
    public init(
        capacity: Int,
        overflow: OverflowPolicy = .suspend(),
        batchSize: Int = MailboxConfiguration.defaultBatchSize
    ) throws(ConfigurationError) {
        try ConfigurationError.requirePositive(capacity, "mailbox capacity")
        try ConfigurationError.requirePositive(batchSize, "mailbox batch size")
        if case .suspend(let timeout?) = overflow {
            try ConfigurationError.requirePositive(timeout, "mailbox suspend timeout")
        }
        self.capacity = capacity
        self.overflow = overflow
        self.batchSize = batchSize
    }
}
