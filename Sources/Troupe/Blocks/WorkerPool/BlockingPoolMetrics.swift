/// A snapshot of a ``BlockingPool``'s threads and queue.
public struct BlockingPoolMetrics: Sendable, Hashable {
    /// Threads the pool owns.
    public let threads: Int
    /// Jobs running on a thread now.
    public let running: Int
    /// Jobs waiting for a thread now, and the most there may be.
    public let queued: Int
    public let queueCapacity: Int
    /// The most jobs that have ever waited at once.
    public let queueHighWaterMark: Int
    /// Jobs that ran to the end (whether their body returned or threw).
    public let completed: Int
    /// Jobs refused or given up before they ran: queue full, queue timeout, cancelled
    /// while queued, shut down.
    public let rejectedFull: Int
    public let timedOut: Int
    public let cancelled: Int
    public let shutDown: Int
}
