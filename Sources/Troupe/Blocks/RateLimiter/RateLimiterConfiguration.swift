/// The settings of a rate limiter, validated when made.
public struct RateLimiterConfiguration: Sendable, Hashable {
    /// Each key's bucket (per user, per IP, ...).
    public let perKey: TokenBucketConfiguration
    /// A bucket shared by all keys; a request must pass both. nil: no global limit.
    public let global: TokenBucketConfiguration?
    /// A key unused this long is forgotten. It must be at least the time a bucket takes
    /// to refill, so a forgotten key would have had a full bucket anyway: expiry frees
    /// memory without ever granting a token early. Default 15 minutes.
    public let idleTimeout: Duration
    /// Most keys remembered at once; a new key beyond it evicts the least recently used
    /// one (which, if it comes back, starts with a full bucket). Default 10,000.
    public let maxKeys: Int
    /// How often the actor forgets idle keys (between sweeps, idle keys cost memory only).
    /// Default 1 minute.
    public let sweepInterval: Duration

    /// - Throws: ``ConfigurationError`` if `maxKeys` is below 1, a duration is not
    ///   positive, or `idleTimeout` is shorter than `perKey.timeToFill`.
    public init(
        perKey: TokenBucketConfiguration,
        global: TokenBucketConfiguration? = nil,
        idleTimeout: Duration = .seconds(15 * 60),
        maxKeys: Int = 10_000,
        sweepInterval: Duration = .seconds(60)
    ) throws(ConfigurationError) {
        try ConfigurationError.requirePositive(maxKeys, "rate limiter max keys")
        try ConfigurationError.requirePositive(sweepInterval, "rate limiter sweep interval")
        guard idleTimeout >= perKey.timeToFill, idleTimeout > .zero else {
            throw .invalidDuration(
                setting: "rate limiter idle timeout (at least the \(perKey.timeToFill) a bucket takes to refill)",
                value: idleTimeout
            )
        }
        self.perKey = perKey
        self.global = global
        self.idleTimeout = idleTimeout
        self.maxKeys = maxKeys
        self.sweepInterval = sweepInterval
    }
}
