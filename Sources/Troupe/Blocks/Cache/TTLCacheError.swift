/// Why a TTL cache lookup did not produce a value.
public enum TTLCacheError: Error, Sendable, CustomStringConvertible {
    /// The load this lookup waited for (its own or one it joined) threw this error. Nothing
    /// was cached: the next lookup loads again.
    case loadFailed(any Error)
    /// The load this lookup waited for had not ended after the configured `loadTimeout`.
    /// It was cancelled and nothing was cached: the next lookup loads again.
    case loadTimedOut(after: Duration)
    /// The load in flight for this address already had `limit` lookups waiting for it;
    /// this one was refused at once (no load started, nothing waited).
    case tooManyWaiters(limit: Int)
    /// `limit` loads were already in flight; this miss was refused at once rather than
    /// start another.
    case tooManyLoads(limit: Int)
    /// The cache's actor could not be asked: stopped (its loads are cancelled with it),
    /// overloaded, no answer within the ask timeout, or the caller was cancelled.
    case unavailable(AskError)
    /// The cache's spec has not been placed in a tree yet.
    case notStarted

    public var description: String {
        switch self {
        case .loadFailed(let error): "cache load failed: \(error)"
        case .loadTimedOut(let after): "cache load did not end within \(after)"
        case .tooManyWaiters(let limit): "cache load already has \(limit) lookups waiting for it"
        case .tooManyLoads(let limit): "cache already runs \(limit) loads"
        case .unavailable(let error): "cache unavailable: \(error)"
        case .notStarted: "the cache has not been placed in an actor tree"
        }
    }
}

/// A lookup the cache's actor failed itself (rather than with a load's own error), carried
/// through `ReplyTo.fail` and unwrapped by the façade. A wrapper, so that a load that
/// throws a `TTLCacheError` of another cache is still reported as this cache's
/// ``TTLCacheError/loadFailed(_:)``.
@usableFromInline
struct TTLCacheRefusal: Error {
    @usableFromInline let error: TTLCacheError

    @usableFromInline
    init(error: TTLCacheError) {
        self.error = error
    }
}
