/// The settings of a worker pool, validated when made.
public struct WorkerPoolConfiguration: Sendable, Hashable {
    /// Jobs running at once, at most. Default 4.
    public let maxConcurrent: Int
    /// Jobs waiting for a worker, at most; beyond it a job is refused at once. Default 100.
    public let queueCapacity: Int
    /// Deadline of a job that gives none, from its submission; nil: none. Default nil.
    public let defaultTimeout: Duration?

    /// - Throws: ``ConfigurationError`` if a count is below 1 or the timeout is not positive.
    public init(maxConcurrent: Int = 4, queueCapacity: Int = 100, defaultTimeout: Duration? = nil) throws(ConfigurationError) {
        try ConfigurationError.requirePositive(maxConcurrent, "worker pool max concurrent")
        try ConfigurationError.requirePositive(queueCapacity, "worker pool queue capacity")
        if let defaultTimeout { try ConfigurationError.requirePositive(defaultTimeout, "worker pool default timeout") }
        self.maxConcurrent = maxConcurrent
        self.queueCapacity = queueCapacity
        self.defaultTimeout = defaultTimeout
    }
}
