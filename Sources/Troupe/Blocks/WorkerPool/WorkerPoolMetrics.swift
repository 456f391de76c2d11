/// A snapshot of a worker pool.
public struct WorkerPoolMetrics: Sendable, Hashable {
    /// Jobs running now, and the most that have ever run at once (never above the limit).
    public var running = 0
    public var runningHighWaterMark = 0
    /// The configured limit on jobs running at once.
    public var maxConcurrent = 0
    /// Jobs waiting for a worker now, and the most allowed.
    public var queued = 0
    public var queueCapacity = 0
    /// Jobs that ran and ended on their own (returned or threw).
    public var completed = 0
    /// Jobs refused (queue full), stopped at their deadline, or cancelled by their caller
    /// (waiting or running; a running one is counted once it has really stopped).
    public var rejected = 0
    public var timedOut = 0
    public var cancelled = 0

    /// All counts zero.
    public init() {}
}
