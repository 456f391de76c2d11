/// The shape of a token bucket: how many tokens it holds (the burst) and how fast it
/// refills (`refill` tokens every `period`, continuously: a bucket refilling 3 per second
/// gains one token every 333,333,334 ns, not three at once each second).
public struct TokenBucketConfiguration: Sendable, Hashable {
    /// Tokens a full bucket holds: the largest burst.
    public let capacity: Int
    /// Tokens added per `period`.
    public let refill: Int
    /// The interval over which `refill` tokens are added; at least 1 ns.
    public let period: Duration
    /// The period in nanoseconds, which is also the number of units one token is worth
    /// (see ``TokenBucket``).
    @usableFromInline let periodNanos: Int64

    /// - Throws: ``ConfigurationError`` if a count is below 1, the period is not positive,
    ///   or the bucket's arithmetic would overflow (capacity × period beyond 292 years).
    public init(capacity: Int, refill: Int, per period: Duration) throws(ConfigurationError) {
        try ConfigurationError.requirePositive(capacity, "token bucket capacity")
        try ConfigurationError.requirePositive(refill, "token bucket refill")
        let nanos = period.nanosecondsSaturating
        guard nanos > 0 else { throw .invalidDuration(setting: "token bucket period (at least 1 ns)", value: period) }
        guard Int64(capacity).multipliedReportingOverflow(by: nanos).overflow == false else {
            throw .invalidDuration(setting: "token bucket period (capacity × period must stay under 292 years)", value: period)
        }
        self.capacity = capacity
        self.refill = refill
        self.period = period
        periodNanos = nanos
    }

    /// `rate` tokens per second with bursts of up to `burst`.
    public static func perSecond(_ rate: Int, burst: Int) throws(ConfigurationError) -> TokenBucketConfiguration {
        try TokenBucketConfiguration(capacity: burst, refill: rate, per: .seconds(1))
    }

    /// How long an empty bucket takes to fill up.
    public var timeToFill: Duration {
        .nanoseconds(Self.divideRoundingUp(Int64(capacity) * periodNanos, Int64(refill)))
    }

    /// `duration` in whole nanoseconds, saturating (an inlinable twin of the runtime's
    /// package-level helper, which inlinable code cannot call).
    @inlinable
    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (total, overflow2) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        if overflow2 { return seconds < 0 ? .min : .max }
        return total
    }

    @inlinable
    static func divideRoundingUp(_ dividend: Int64, _ divisor: Int64) -> Int64 {
        dividend / divisor + (dividend % divisor == 0 ? 0 : 1)
    }
}
