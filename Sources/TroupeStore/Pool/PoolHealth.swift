/// The answer of ``DatabasePool/checkHealth(timeout:)``.
public struct PoolHealth: Sendable {
    /// The probe (`SELECT 1` on a pooled connection) succeeded.
    public var isHealthy: Bool { failure == nil }
    /// Why the probe failed (an open breaker fails it at once, as `unavailable`).
    public let failure: DatabaseError?
    /// The pool's counters right after the probe.
    public let metrics: PoolMetrics
}
