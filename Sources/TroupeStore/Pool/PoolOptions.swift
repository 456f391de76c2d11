public import Troupe

/// The bounds and policies of a ``DatabasePool``. Every bound is explicit, has a default,
/// and is validated here.
///
/// | setting | default | what it bounds |
/// | --- | --- | --- |
/// | `minConnections` | 1 | connections kept open even when idle (opened at start) |
/// | `maxConnections` | 8 | connections (each with its own thread) at once |
/// | `maxWaiters` | 1,000 | requests waiting for a connection; one more fails at once (`overloaded`) |
/// | `defaultTimeout` | 5 s | how long a request may wait for a connection (and retry) |
/// | `idleTimeout` | 60 s | how long a connection above the minimum stays open unused |
/// | `retry` | 4 attempts, 10 ms → 1 s | retries of transient failures, where safe |
/// | `breaker` | 5 failures, 2 s open, 1 probe | fail-fast while the database is down |
///
/// SQLite has one writer at a time and readers that never block it (WAL): a few
/// connections are plenty, and writes are better grouped by the ``GroupCommitWriter``.
/// PostgreSQL: keep `maxConnections` × nodes below the server's `max_connections`.
public struct PoolOptions: Sendable {
    /// Connections opened at start and kept open while idle.
    public let minConnections: Int
    /// The most connections (and connection threads) at once.
    public let maxConnections: Int
    /// The most requests waiting for a connection; beyond, a request fails at once.
    public let maxWaiters: Int
    /// How long a request may wait for a connection, and the latest a retry may start,
    /// unless it gives its own timeout.
    public let defaultTimeout: Duration
    /// How long a connection above `minConnections` may stay unused before it is closed.
    public let idleTimeout: Duration
    /// Retries of transient failures (only for idempotent statements and whole transactions).
    public let retry: RetryPolicy
    /// The circuit breaker (Troupe's ``CircuitBreakerState``, held by the pool actor
    /// itself). The pool decides what a failure is, not the configuration's `isFailure`:
    /// `unavailable` outcomes and `timeout`s of statements that ran (a hung database) count
    /// against the database; any other outcome, errors included, proves it answers.
    public let breaker: CircuitBreakerConfiguration
    /// Seed for the retry jitter. nil: the actor system's seed (so a system with a fixed
    /// seed repeats its delays).
    public let randomSeed: UInt64?

    /// - Throws: ``ConfigurationError`` if `maxConnections` or `maxWaiters` is below 1,
    ///   `minConnections` is negative or above `maxConnections`, or a duration is not positive.
    public init(
        minConnections: Int = 1,
        maxConnections: Int = 8,
        maxWaiters: Int = 1_000,
        defaultTimeout: Duration = .seconds(5),
        idleTimeout: Duration = .seconds(60),
        retry: RetryPolicy = .default,
        breaker: CircuitBreakerConfiguration = PoolOptions.defaultBreaker,
        randomSeed: UInt64? = nil
    ) throws(ConfigurationError) {
        if maxConnections < 1 { throw .notPositive(setting: "pool max connections", value: maxConnections) }
        if maxWaiters < 1 { throw .notPositive(setting: "pool max waiters", value: maxWaiters) }
        guard (0...maxConnections).contains(minConnections) else {
            throw .outOfRange(setting: "pool min connections", value: Double(minConnections), range: 0...Double(maxConnections))
        }
        if defaultTimeout <= .zero { throw .invalidDuration(setting: "pool default timeout", value: defaultTimeout) }
        if idleTimeout <= .zero { throw .invalidDuration(setting: "pool idle timeout", value: idleTimeout) }
        self.minConnections = minConnections
        self.maxConnections = maxConnections
        self.maxWaiters = maxWaiters
        self.defaultTimeout = defaultTimeout
        self.idleTimeout = idleTimeout
        self.retry = retry
        self.breaker = breaker
        self.randomSeed = randomSeed
    }

    /// Opens after 5 consecutive `unavailable` failures; after 2 s lets one request through
    /// as a probe (which has 10 s to answer).
    // Valid by construction (positive counts and durations).
    public static let defaultBreaker = try! CircuitBreakerConfiguration(
        failureThreshold: 5, openDuration: .seconds(2), halfOpenProbes: 1, probeTimeout: .seconds(10)
    )

    /// The defaults (cannot fail).
    public init() {
        // The defaults are valid by construction.
        try! self.init(minConnections: 1)
    }

    /// The pool actor's mailbox: room for every request the pool can hold (running and
    /// waiting) plus control messages, so a full mailbox means the pool is over its bounds.
    var mailboxCapacity: Int { maxConnections + maxWaiters + 64 }
}
