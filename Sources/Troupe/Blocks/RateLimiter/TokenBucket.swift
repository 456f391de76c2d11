/// One token bucket, in exact integer arithmetic.
///
/// The level is kept in units of 1/`periodNanos` token: a bucket refilling `refill` tokens
/// per period gains exactly `refill` units per nanosecond, so no rounding ever happens
/// and the wait for a missing token is an exact number of nanoseconds (rounded up once, so
/// that a caller that waits that long is admitted).
///
/// The bucket does not store its ``TokenBucketConfiguration`` (thousands of buckets share
/// one); every method takes it.
public struct TokenBucket: Sendable, Hashable {
    /// Tokens × `periodNanos`, at most capacity × `periodNanos`.
    @usableFromInline var units: Int64
    @usableFromInline var lastUpdate: ClockInstant

    /// When the level was last brought up to date (also: when the bucket was last used).
    @inlinable
    public var updated: ClockInstant { lastUpdate }

    /// A full bucket.
    @inlinable
    public init(full configuration: TokenBucketConfiguration, at now: ClockInstant) {
        units = Int64(configuration.capacity) * configuration.periodNanos
        lastUpdate = now
    }

    /// Adds what has flowed in since the last update, up to the capacity.
    @inlinable
    public mutating func refill(_ configuration: TokenBucketConfiguration, to now: ClockInstant) {
        let elapsed = TokenBucketConfiguration.nanoseconds(lastUpdate.duration(to: now))
        guard elapsed > 0 else { return }
        lastUpdate = now
        let full = Int64(configuration.capacity) * configuration.periodNanos
        let missing = full - units
        let rate = Int64(configuration.refill)
        // Compared before multiplying: elapsed × rate could overflow after a long idle time.
        if elapsed >= TokenBucketConfiguration.divideRoundingUp(missing, rate) {
            units = full
        } else {
            units += elapsed * rate
        }
    }

    /// Whole tokens in the bucket as of its last update.
    @inlinable
    public func tokens(_ configuration: TokenBucketConfiguration) -> Int {
        Int(units / configuration.periodNanos)
    }

    /// How long until `cost` tokens are there: zero if they are now, nil if never (`cost`
    /// exceeds the capacity). As of the last update.
    @inlinable
    public func wait(for cost: Int, _ configuration: TokenBucketConfiguration) -> Duration? {
        guard cost <= configuration.capacity else { return nil }
        let missing = Int64(cost) * configuration.periodNanos - units
        guard missing > 0 else { return .zero }
        return .nanoseconds(TokenBucketConfiguration.divideRoundingUp(missing, Int64(configuration.refill)))
    }

    /// Takes `cost` tokens; the caller checked ``wait(for:_:)`` is zero.
    @inlinable
    public mutating func take(_ cost: Int, _ configuration: TokenBucketConfiguration) {
        units -= Int64(cost) * configuration.periodNanos
    }
}
