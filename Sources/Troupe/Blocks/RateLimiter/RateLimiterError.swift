/// Why a rate limiter could not answer. The caller decides whether to fail open (let the
/// request through) or closed.
public enum RateLimiterError: Error, Sendable, CustomStringConvertible {
    /// The limiter's actor could not be asked: stopped, overloaded, or the caller was
    /// cancelled while asking.
    case unavailable(AskError)
    /// The limiter's spec has not been placed in a tree yet.
    case notStarted

    public var description: String {
        switch self {
        case .unavailable(let error): "rate limiter unavailable: \(error)"
        case .notStarted: "the rate limiter has not been placed in an actor tree"
        }
    }
}
