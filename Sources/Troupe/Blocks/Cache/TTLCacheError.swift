/// Why a TTL cache lookup did not produce a value.
public enum TTLCacheError: Error, Sendable, CustomStringConvertible {
    /// The load this lookup waited for (its own or one it joined) threw this error. Nothing
    /// was cached: the next lookup loads again.
    case loadFailed(any Error)
    /// The cache's actor could not be asked: stopped (its loads are cancelled with it),
    /// overloaded, no answer within the ask timeout, or the caller was cancelled.
    case unavailable(AskError)
    /// The cache's spec has not been placed in a tree yet.
    case notStarted

    public var description: String {
        switch self {
        case .loadFailed(let error): "cache load failed: \(error)"
        case .unavailable(let error): "cache unavailable: \(error)"
        case .notStarted: "the cache has not been placed in an actor tree"
        }
    }
}
