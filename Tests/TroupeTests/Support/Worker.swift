import Testing
import Troupe
import TroupeTesting

/// A supervised worker for failure scenarios: fails on request, can get stuck in a long
/// (cancellation-aware) wait on the system clock, reports its number of incarnations.
enum WorkerMessage: Sendable {
    case ping(ReplyTo<Int>)
    case fail
    case stopSelf
    /// End itself with ``ExitReason/shutdown(reason:)``.
    case shutdownSelf(String?)
    case sleep(Duration, Latch)
}

struct Worker: Behavior {
    /// Throw from `started` while this returns true (checked once per incarnation).
    var failStart: @Sendable () -> Bool = { false }
    var pings = 0

    mutating func started(context: ActorContext<WorkerMessage>) async throws {
        if failStart() { throw TestFailure("start of \(context.path.name) failed") }
    }

    mutating func receive(_ message: WorkerMessage, context: ActorContext<WorkerMessage>) async throws {
        switch message {
        case .ping(let reply):
            pings += 1
            reply.reply(context.restartCount)
        case .fail:
            throw TestFailure("\(context.path.name) failed")
        case .stopSelf:
            context.stop()
        case .shutdownSelf(let reason):
            context.shutdown(reason: reason)
        case .sleep(let duration, let latch):
            latch.open()
            try await context.clock.sleep(for: duration)
        }
    }
}

func worker(
    _ name: String,
    restart: RestartType = .permanent,
    shutdown: ShutdownPolicy = .defaultForActors,
    failStart: @escaping @Sendable () -> Bool = { false }
) throws -> ChildSpec {
    try ChildSpec.actor(name, mailbox: mailbox(16), restart: restart, shutdown: shutdown) {
        Worker(failStart: failStart)
    }
}

extension ActorSystem {
    /// The worker at `path`.
    func worker(_ path: String) throws -> ActorRef<WorkerMessage> {
        try #require(lookup(ActorPath(path)!, as: WorkerMessage.self))
    }
}
