/// A snapshot of a circuit breaker: its phase and how it got there.
public struct CircuitBreakerMetrics: Sendable, Hashable {
    /// The phase now.
    public var phase: CircuitBreakerState.Phase = .closed
    /// Failures in a row while closed (reset by a success).
    public var consecutiveFailures = 0
    /// Permits granted (calls let through), probes included.
    public var admitted = 0
    /// Calls that failed fast with ``CircuitBreakerError/circuitOpen(retryAfter:)``.
    public var rejected = 0
    /// Outcomes reported as success / failure / neither (not counted, e.g. cancelled).
    public var successes = 0
    public var failures = 0
    public var ignored = 0
    /// Outcomes that arrived for a permit of an earlier phase and were disregarded.
    public var stale = 0
    /// Transitions: closed → open, open → half-open, half-open → closed, half-open → open
    /// (a probe failed or timed out).
    public var opened = 0
    public var halfOpened = 0
    public var closed = 0
    public var reopened = 0
    /// When the last transition happened, on the breaker's clock.
    public var lastTransition: ClockInstant?

    /// Closed, all counters zero, no transition yet.
    public init() {}
}
