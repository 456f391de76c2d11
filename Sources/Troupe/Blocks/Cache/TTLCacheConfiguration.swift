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
    /// How long the lookups waiting for a load wait for it. When it passes, they fail with
    /// ``TTLCacheError/loadTimedOut(after:)``, the load is cancelled and its value is never
    /// stored, and the next lookup of the address starts a fresh load. Default 30 s.
    public let loadTimeout: Duration
    /// Most lookups waiting for one load (the one that started it included); a miss beyond
    /// fails at once with ``TTLCacheError/tooManyWaiters(limit:)``. Default 1,024.
    public let maxWaitersPerLoad: Int
    /// Most loads running at once, over all addresses; a miss that would start one more
    /// fails at once with ``TTLCacheError/tooManyLoads(limit:)``. A load that timed out
    /// counts until its task has really ended (it is cancelled; one that ignores
    /// cancellation keeps its place), so this also bounds the tasks loads can hold.
    /// Default 256.
    public let maxLoadsInFlight: Int

    /// - Throws: ``ConfigurationError`` if a count is below 1 or a duration is not positive.
    public init(
        ttl: Duration = .seconds(60),
        maxEntries: Int = 10_000,
        sweepInterval: Duration? = nil,
        loadTimeout: Duration = .seconds(30),
        maxWaitersPerLoad: Int = 1_024,
        maxLoadsInFlight: Int = 256
    ) throws(ConfigurationError) {
        try ConfigurationError.requirePositive(ttl, "cache TTL")
        try ConfigurationError.requirePositive(maxEntries, "cache max entries")
        let sweepInterval = sweepInterval ?? ttl
        try ConfigurationError.requirePositive(sweepInterval, "cache sweep interval")
        try ConfigurationError.requirePositive(loadTimeout, "cache load timeout")
        try ConfigurationError.requirePositive(maxWaitersPerLoad, "cache max waiters per load")
        try ConfigurationError.requirePositive(maxLoadsInFlight, "cache max loads in flight")
        self.ttl = ttl
        self.maxEntries = maxEntries
        self.sweepInterval = sweepInterval
        self.loadTimeout = loadTimeout
        self.maxWaitersPerLoad = maxWaitersPerLoad
        self.maxLoadsInFlight = maxLoadsInFlight
    }
}
