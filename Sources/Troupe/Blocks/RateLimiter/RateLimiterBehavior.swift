/// What a rate limiter's actor is asked.
@usableFromInline
enum RateLimiterMessage<Key: Hashable & Sendable>: Sendable {
    case check(Key, cost: Int, ReplyTo<RateLimitDecision>)
    case peek(Key, cost: Int, ReplyTo<RateLimitDecision>)
    case metrics(ReplyTo<RateLimiterMetrics>)
    /// The periodic sweep of idle keys.
    case sweep
}

/// The actor behind a ``RateLimiter``: owns the ``RateLimiterState`` and sweeps idle keys
/// on a periodic timer of the system clock.
///
/// The handler is inlinable, so it is specialized with the actor's loop where
/// ``RateLimiter/childSpec(_:restart:)`` is called.
@usableFromInline
struct RateLimiterBehavior<Key: Hashable & Sendable>: SynchronousBehavior {
    @usableFromInline var state: RateLimiterState<Key>

    @usableFromInline
    init(state: RateLimiterState<Key>) {
        self.state = state
    }

    @usableFromInline
    mutating func started(context: ActorContext<RateLimiterMessage<Key>>) async throws {
        try context.startPeriodicTimer("sweep", every: state.configuration.sweepInterval, message: .sweep)
    }

    @inlinable
    mutating func receiveSynchronously(_ message: RateLimiterMessage<Key>, context: ActorContext<RateLimiterMessage<Key>>) throws {
        switch message {
        case .check(let key, let cost, let reply):
            reply.reply(state.check(key, cost: cost, now: context.now))
        case .peek(let key, let cost, let reply):
            reply.reply(state.peek(key, cost: cost, now: context.now))
        case .metrics(let reply):
            reply.reply(state.metrics)
        case .sweep:
            state.expireIdle(now: context.now)
        }
    }
}
