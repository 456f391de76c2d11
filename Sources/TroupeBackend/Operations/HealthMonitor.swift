import Troupe
import TroupeStore

/// The health monitor (`services/health`): probes storage through the pool every
/// ``BackendConfiguration/healthInterval`` and posts the verdict on the ``HealthBoard``,
/// so `HEALTH` says why storage is unavailable, and says so no longer once it answers again.
struct HealthMonitor: Behavior {
    enum Message: Sendable {
        case probe
        /// Probe now and reply when the board is updated (tests, start-up).
        case probeNow(ReplyTo<Health>)
    }

    let services: BackendServices
    let board: HealthBoard

    mutating func started(context: ActorContext<Message>) async throws {
        try context.startPeriodicTimer("probe", every: services.configuration.healthInterval, message: .probe)
    }

    mutating func receive(_ message: Message, context: ActorContext<Message>) async throws {
        switch message {
        case .probe:
            _ = await probe()
        case .probeNow(let reply):
            reply.reply(await probe())
        }
    }

    private nonisolated(nonsending) func probe() async -> Health {
        let result = await services.pool.checkHealth(timeout: services.configuration.healthInterval)
        let health: Health = if let failure = result.failure { .unavailable(ErrorReply.storage(failure).message) } else { .ok }
        if health != board.health {
            services.log(health == .ok ? .info : .warning, "health=\(health == .ok ? "ok" : "unavailable") \(health)")
        }
        board.set(health)
        return health
    }
}
