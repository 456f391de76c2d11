/// A snapshot of a rate limiter's counters.
public struct RateLimiterMetrics: Sendable, Hashable {
    /// Keys with a bucket now, and the most there have been at once (never above `maxKeys`).
    public var liveKeys = 0
    public var liveKeysHighWaterMark = 0
    /// The configured cap on buckets (``RateLimiterConfiguration/maxKeys``).
    public var maxKeys = 0
    /// Requests allowed and denied; `deniedByGlobal` counts denials where the key's own
    /// bucket had enough.
    public var allowed = 0
    public var denied = 0
    public var deniedByGlobal = 0
    /// Non-charging questions (``RateLimiterState/peek(_:cost:now:)``), whatever their
    /// answer; not part of `allowed` or `denied`.
    public var peeked = 0
    /// Keys forgotten after their idle timeout, and keys evicted to stay within the cap.
    public var expired = 0
    public var evicted = 0

    /// All counters zero.
    public init() {}
}
