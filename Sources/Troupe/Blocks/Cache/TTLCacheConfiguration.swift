/// The settings of a TTL cache, validated when made.
public struct TTLCacheConfiguration: Sendable, Hashable {
    /// How long a loaded value is served before it is loaded again. Default 60 s.
    public let ttl: Duration
    /// Most entries held at once; beyond it the least recently used entry is evicted.
    /// Default 10,000.
    public let maxEntries: Int
    /// How often the actor drops expired entries (an expired entry is never served; the
    /// sweep only gives its memory back sooner). Default: the TTL.
    public let sweepInterval: Duration

    /// - Throws: ``ConfigurationError`` if `maxEntries` is below 1 or a duration is not
    ///   positive.
    public init(ttl: Duration = .seconds(60), maxEntries: Int = 10_000, sweepInterval: Duration? = nil) throws(ConfigurationError) {
        try ConfigurationError.requirePositive(ttl, "cache TTL")
        try ConfigurationError.requirePositive(maxEntries, "cache max entries")
        let sweepInterval = sweepInterval ?? ttl
        try ConfigurationError.requirePositive(sweepInterval, "cache sweep interval")
        self.ttl = ttl
        self.maxEntries = maxEntries
        self.sweepInterval = sweepInterval
    }
}
