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
