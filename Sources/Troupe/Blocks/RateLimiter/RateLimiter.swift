/// Token-bucket rate limiting per key (per user, per IP, ...) with an optional global
/// bucket that every request must also pass.
///
/// ```swift
/// let limiter = RateLimiter<String>(try RateLimiterConfiguration(
///     perKey: .perSecond(5, burst: 10),          // each user: 5/s, bursts of 10
///     global: .perSecond(2_000, burst: 2_000)     // the whole server
/// ))
/// try await system.start(limiter, name: "limiter")
/// switch try await limiter.check(user) {
/// case .allowed: handle(request)
/// case .denied(let retryAfter): reply("-BUSY retry in \(retryAfter ?? .seconds(1))")
/// }
/// ```
///
/// It prevents both failures seen in the wild: no limit at all (one client saturates the
/// server), and a limiter whose map of keys grows with every client ever seen until the
/// process runs out of memory. Here idle keys expire and the number of keys is capped.
///
/// # Bounds
/// At most `maxKeys` buckets (LRU eviction beyond; default 10,000); idle keys are forgotten
/// after `idleTimeout` (default 15 min, swept every `sweepInterval`); the actor's mailbox
/// is bounded (default 1,024 requests, callers wait for room). The rules are
/// ``RateLimiterState``'s; a restart of the actor starts from full buckets.
///
/// # Concurrency contract
/// `Sendable`; every method may be called from any task. Checks are decided one at a time
/// in arrival order by the actor, so two concurrent requests never both take the last
/// token. Time is the actor system's clock.
public final class RateLimiter<Key: Hashable & Sendable>: BuildingBlock {
    /// The limits; every incarnation of the actor starts from full buckets built from them.
    public let configuration: RateLimiterConfiguration
    /// The actor's mailbox.
    public let mailbox: MailboxConfiguration
    /// Deadline of each question to the actor; nil: the system's ask timeout.
    public let askTimeout: Duration?
    @usableFromInline let binding = BlockBinding<RateLimiterMessage<Key>>()

    /// A limiter to place in a tree with ``childSpec(_:restart:)``.
    public init(
        _ configuration: RateLimiterConfiguration,
        mailbox: MailboxConfiguration = .buildingBlockDefault,
        askTimeout: Duration? = nil
    ) {
        self.configuration = configuration
        self.mailbox = mailbox
        self.askTimeout = askTimeout
    }

    /// The spec that places the limiter's actor under `name`; this limiter's calls go to the
    /// actor it creates. Throws ``ConfigurationError/invalidName(_:)`` for a bad name.
    // Inlinable so that the actor is made, and runs specialized, where the key type is
    // concrete (see ``BlockBinding/childSpec(_:mailbox:restart:shutdown:_:)``).
    @inlinable
    public func childSpec(_ name: String, restart: RestartType) throws(ConfigurationError) -> ChildSpec {
        let configuration = self.configuration
        return try binding.childSpec(name, mailbox: mailbox, restart: restart) {
            RateLimiterBehavior<Key>(state: RateLimiterState(configuration: configuration))
        }
    }

    /// Decides on a request of `cost` tokens (default 1) for `key`, and takes the tokens if
    /// it is allowed.
    @inlinable
    public nonisolated(nonsending) func check(_ key: Key, cost: Int = 1) async throws(RateLimiterError) -> RateLimitDecision {
        try await ask { .check(key, cost: cost, $0) }
    }

    /// What ``check(_:cost:)`` would decide for `key` now, without taking tokens or creating
    /// a bucket (see ``RateLimiterState/peek(_:cost:now:)``). For work charged only when it
    /// fails: peek before it, `check` after a failure. Advisory: a concurrent `check` for the
    /// same key may take the tokens in between.
    @inlinable
    public nonisolated(nonsending) func peek(_ key: Key, cost: Int = 1) async throws(RateLimiterError) -> RateLimitDecision {
        try await ask { .peek(key, cost: cost, $0) }
    }

    /// Live keys and counters.
    public nonisolated(nonsending) func metrics() async throws(RateLimiterError) -> RateLimiterMetrics {
        try await ask { .metrics($0) }
    }

    @inlinable
    nonisolated(nonsending) func ask<Reply: Sendable>(
        _ makeRequest: (ReplyTo<Reply>) -> RateLimiterMessage<Key>
    ) async throws(RateLimiterError) -> Reply {
        try await binding.ask(timeout: askTimeout, makeRequest, notStarted: RateLimiterError.notStarted, unavailable: RateLimiterError.unavailable)
    }
}
