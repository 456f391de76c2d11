/// Why a call through a ``CircuitBreaker`` did not return a value.
public enum CircuitBreakerError: Error, Sendable, CustomStringConvertible {
    /// The circuit is open (or half-open with every probe slot taken): the call failed
    /// fast without running. `retryAfter` is when the circuit lets a probe through; nil
    /// while half-open, where it depends on the probes in flight.
    case circuitOpen(retryAfter: Duration?)
    /// The operation ran and threw this error (counted as a failure only if the
    /// configuration's `isFailure` says so).
    case failed(any Error)
    /// The breaker's actor could not be asked: stopped, overloaded, or the caller was
    /// cancelled while asking.
    case unavailable(AskError)
    /// The breaker's spec has not been placed in a tree yet.
    case notStarted

    public var description: String {
        switch self {
        case .circuitOpen(let retryAfter?): "circuit open; retry after \(retryAfter)"
        case .circuitOpen(nil): "circuit half-open and every probe slot is taken; retry later"
        case .failed(let error): "\(error)"
        case .unavailable(let error): "circuit breaker unavailable: \(error)"
        case .notStarted: "the circuit breaker has not been placed in an actor tree"
        }
    }
}
