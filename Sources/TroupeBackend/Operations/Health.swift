/// Whether the backend can serve: what `HEALTH` answers.
public enum Health: Sendable, Hashable {
    /// Storage answers.
    case ok
    /// Storage is unreachable or its circuit breaker is open; the text says why.
    case unavailable(String)
}
