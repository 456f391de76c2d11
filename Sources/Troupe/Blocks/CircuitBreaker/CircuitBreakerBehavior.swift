/// What a circuit breaker's actor is asked.
enum CircuitBreakerMessage: Sendable {
    case acquire(ReplyTo<CircuitBreakerState.Admission>)
    case record(CircuitBreakerState.Outcome, CircuitBreakerState.Permit)
    case metrics(ReplyTo<CircuitBreakerMetrics>)
}

/// The actor behind a ``CircuitBreaker``: it owns the ``CircuitBreakerState`` and answers
/// permits. The protected calls never run here, so callers are serialized only for the
/// few nanoseconds a decision takes, not for the calls themselves.
struct CircuitBreakerBehavior: SynchronousBehavior {
    var state: CircuitBreakerState

    mutating func started(context: ActorContext<CircuitBreakerMessage>) async throws {
        // A fresh state per incarnation, told apart from the previous one's so that permits
        // granted before a restart are stale after it.
        state = CircuitBreakerState(configuration: state.configuration, instance: UInt64(context.restartCount))
    }

    mutating func receiveSynchronously(_ message: CircuitBreakerMessage, context: ActorContext<CircuitBreakerMessage>) throws {
        switch message {
        case .acquire(let reply):
            reply.reply(state.acquire(now: context.now))
        case .record(let outcome, let permit):
            state.record(outcome, for: permit, now: context.now)
        case .metrics(let reply):
            state.advance(to: context.now)
            reply.reply(state.metrics)
        }
    }
}
