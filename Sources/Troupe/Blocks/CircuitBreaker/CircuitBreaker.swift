/// Fails calls to an unhealthy dependency fast instead of letting every caller wait for it:
/// closed / open / half-open, as set by a ``CircuitBreakerConfiguration``.
///
/// ```swift
/// let breaker = try CircuitBreaker(CircuitBreakerConfiguration(failureThreshold: 5, openDuration: .seconds(10)))
/// try await system.start(breaker, name: "db-breaker")
/// do {
///     let rows = try await breaker.run { try await database.query(sql) }
/// } catch .circuitOpen(let retryAfter) {
///     // fail fast: the database is known to be down
/// }
/// ```
///
/// It prevents the pile-up seen when a database stalls: every request waits for its own
/// timeout and holds a connection, a task and memory meanwhile, so a slow dependency
/// becomes an outage of everything. While the circuit is open, calls cost one message.
///
/// # How a call goes
/// ``run(_:)`` asks the breaker's actor for a permit, runs the operation in the caller's own
/// task (outside the actor, so concurrent calls run concurrently), then reports the
/// outcome. The lower-level ``acquire()`` and ``record(_:for:)`` do the same in two steps.
/// The rules are ``CircuitBreakerState``'s; metrics (phase, transitions, rejections) come
/// from ``metrics()``.
///
/// # Bounds
/// The actor holds a fixed-size state; its mailbox is bounded (default 1,024 requests,
/// callers wait for room, each ask up to `askTimeout`). Outcome reports bypass that bound
/// on the system lane: one per permit granted, so never more than the calls in flight. A
/// half-open probe without a verdict reopens the circuit after `probeTimeout` (default
/// 30 s). A restart of the actor closes the circuit (fresh state).
///
/// # Concurrency contract
/// `Sendable`; every method may be called from any task. `run` executes `operation` on the
/// caller's executor (it is `nonisolated(nonsending)`), so `operation` need not be
/// `Sendable`. Time is the actor system's clock.
public final class CircuitBreaker: BuildingBlock {
    /// The breaker's rules.
    public let configuration: CircuitBreakerConfiguration
    /// The actor's mailbox.
    public let mailbox: MailboxConfiguration
    /// Deadline of each question to the actor; nil: the system's ask timeout.
    public let askTimeout: Duration?
    private let binding = BlockBinding<CircuitBreakerMessage>()

    /// A breaker to place in a tree with ``childSpec(_:restart:)``.
    public init(
        _ configuration: CircuitBreakerConfiguration,
        mailbox: MailboxConfiguration = .buildingBlockDefault,
        askTimeout: Duration? = nil
    ) {
        self.configuration = configuration
        self.mailbox = mailbox
        self.askTimeout = askTimeout
    }

    /// The spec that places the breaker's actor under `name`; this breaker's calls go to the
    /// actor it creates. Throws ``ConfigurationError/invalidName(_:)`` for a bad name.
    public func childSpec(_ name: String, restart: RestartType) throws(ConfigurationError) -> ChildSpec {
        let configuration = self.configuration
        return try binding.childSpec(name, mailbox: mailbox, restart: restart) {
            CircuitBreakerBehavior(state: CircuitBreakerState(configuration: configuration))
        }
    }

    /// Runs `operation` if the circuit lets it, and counts its outcome.
    ///
    /// - Throws: ``CircuitBreakerError/circuitOpen(retryAfter:)`` without running
    ///   `operation` while the circuit is open; ``CircuitBreakerError/failed(_:)`` with what
    ///   `operation` threw; ``CircuitBreakerError/unavailable(_:)`` if the breaker's actor
    ///   could not be asked.
    public nonisolated(nonsending) func run<Value>(
        _ operation: () async throws -> Value
    ) async throws(CircuitBreakerError) -> Value {
        let permit = try await acquire()
        let value: Value
        do {
            value = try await operation()
        } catch {
            record(configuration.isFailure(error) ? .failure : .ignored, for: permit)
            throw .failed(error)
        }
        record(.success, for: permit)
        return value
    }

    /// Asks for leave to make one call. Report its outcome with ``record(_:for:)``; a
    /// half-open probe that is never reported reopens the circuit after the probe timeout.
    public nonisolated(nonsending) func acquire() async throws(CircuitBreakerError) -> CircuitBreakerState.Permit {
        switch try await ask({ .acquire($0) }) {
        case .granted(let permit): return permit
        case .rejected(let retryAfter): throw .circuitOpen(retryAfter: retryAfter)
        }
    }

    /// Reports how a permitted call ended. Never waits and is never lost to a full mailbox:
    /// the report goes on the actor's system lane (ahead of queued requests), so a
    /// half-open probe's verdict always reaches the breaker and its probe slot is always
    /// freed. At most one report per permit, so the lane holds at most as many reports as
    /// there are calls in flight. Does nothing if the breaker is not running; a report
    /// that reaches a restarted breaker is stale and changes nothing.
    public func record(_ outcome: CircuitBreakerState.Outcome, for permit: CircuitBreakerState.Permit) {
        binding.deliverReliably(.record(outcome, permit))
    }

    /// The breaker's phase (as of now) and counters.
    public nonisolated(nonsending) func metrics() async throws(CircuitBreakerError) -> CircuitBreakerMetrics {
        try await ask { .metrics($0) }
    }

    private nonisolated(nonsending) func ask<Reply: Sendable>(
        _ makeRequest: (ReplyTo<Reply>) -> CircuitBreakerMessage
    ) async throws(CircuitBreakerError) -> Reply {
        try await binding.ask(timeout: askTimeout, makeRequest, notStarted: CircuitBreakerError.notStarted, unavailable: CircuitBreakerError.unavailable)
    }
}
