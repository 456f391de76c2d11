/// A rate limiter's answer for one request.
public enum RateLimitDecision: Sendable, Hashable {
    /// Go ahead; `remaining` whole tokens are left in the key's bucket.
    case allowed(remaining: Int)
    /// Not now. `retryAfter` is how long until the request would pass: exact for the key's
    /// own bucket, a lower bound when the global bucket is short (other keys draw on it
    /// too). nil: never, the cost exceeds a bucket's capacity.
    case denied(retryAfter: Duration?)

    /// True for ``allowed(remaining:)``.
    public var isAllowed: Bool {
        if case .allowed = self { return true }
        return false
    }
}
