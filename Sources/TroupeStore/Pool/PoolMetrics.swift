public import Troupe

/// A snapshot of a ``DatabasePool``'s counters, taken by the pool actor between messages.
public struct PoolMetrics: Sendable, Hashable {
    /// Connection threads alive (each owns at most one connection).
    public var connections = 0
    /// Connections open as of their last job (a PostgreSQL connection may turn out broken
    /// on its next call and reconnect then).
    public var openConnections = 0
    /// Connections running a job now.
    public var inUse = 0
    /// Connections waiting for a job.
    public var idle = 0
    /// Requests waiting for a connection.
    public var waiting = 0
    /// Requests waiting out a retry backoff.
    public var backingOff = 0
    /// The most connections ever in use at once.
    public var peakInUse = 0
    /// The most requests ever waiting at once.
    public var peakWaiting = 0
    /// Time from a request's submission to getting its connection (retries not included).
    public var waitTime = LatencyHistogram()
    /// Requests that ended with their body's value.
    public var succeeded = 0
    /// Failures callers received, by kind (pool-made ones included).
    public var errors = ErrorCounts()
    /// Requests whose deadline passed while they waited (counted in `errors.timeout`).
    public var deadlineExpired = 0
    /// Requests refused because `maxWaiters` were already waiting (in `errors.overloaded`).
    public var queueFull = 0
    /// Requests failed fast because the breaker was open, or failed when it opened while
    /// they waited (in `errors.unavailable`).
    public var breakerRejected = 0
    /// Retries started after a transient failure.
    public var retries = 0
    /// The circuit breaker: its phase now and its transitions.
    public var breaker = CircuitBreakerMetrics()

    public init() {}
}
