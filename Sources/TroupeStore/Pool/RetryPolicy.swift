public import Troupe

/// When and how often the pool runs a job again after a transient failure.
///
/// Only `transient` failures (``DatabaseError/isRetryable``: SQLITE_BUSY/LOCKED,
/// PostgreSQL serialization failure and deadlock, a lost connection that was re-established)
/// are retried, and only jobs for which running again is harmless: a whole transaction
/// closure, or a statement its caller marked idempotent. Each retry waits an exponential
/// backoff with jitter on the pool's clock, and never starts after the request's deadline.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included: 1 never retries.
    public let maxAttempts: Int
    /// The delay before retry `n` is `initial × 2ⁿ`, capped at `maximum`, of which a
    /// `jitter` fraction is random (so callers that failed together do not retry together).
    public let backoff: Backoff

    /// - Throws: ``ConfigurationError`` if `maxAttempts` is below 1.
    public init(maxAttempts: Int, backoff: Backoff) throws(ConfigurationError) {
        if maxAttempts < 1 { throw .notPositive(setting: "retry max attempts", value: maxAttempts) }
        self.maxAttempts = maxAttempts
        self.backoff = backoff
    }

    /// 4 attempts; backoff 10 ms, 20 ms, 40 ms (up to 1 s), half of each random.
    // Valid by construction (positive counts and durations, jitter within 0...1).
    public static let `default` = try! RetryPolicy(maxAttempts: 4, backoff: Backoff(initial: .milliseconds(10), maximum: .seconds(1), jitter: 0.5))

    /// No retries: every failure reaches the caller at once.
    // Valid by construction.
    public static let never = try! RetryPolicy(maxAttempts: 1, backoff: Backoff(initial: .milliseconds(1), maximum: .milliseconds(1), jitter: 0))

    /// The delay before retry number `retry` (0 for the first retry): the exponential step,
    /// reduced by up to the jitter fraction using `random`.
    func delay(beforeRetry retry: Int, random: inout SplitMix64) -> Duration {
        var step = backoff.initial
        for _ in 0..<retry where step < backoff.maximum {
            step = step * 2
        }
        step = min(step, backoff.maximum)
        guard backoff.jitter > 0 else { return step }
        // 53 random bits give a uniform fraction in [0, 1).
        let fraction = Double(random.next() >> 11) / Double(UInt64(1) << 53)
        return step * (1 - backoff.jitter * fraction)
    }
}
