import Testing
@testable import Troupe
import TroupeTesting

@Suite struct DeathWatchTests {
    enum WatcherMessage: Sendable {
        case watch(ActorRef<WorkerMessage>)
        case unwatch(ActorRef<WorkerMessage>)
    }

    /// Records every termination signal it receives.
    struct Watcher: Behavior {
        let signals: TestProbe<String>

        mutating func receive(_ message: WatcherMessage, context: ActorContext<WatcherMessage>) async throws {
            switch message {
            case .watch(let ref): context.watch(ref)
            case .unwatch(let ref): context.unwatch(ref)
            }
        }

        mutating func receiveSignal(_ signal: Signal, context: ActorContext<WatcherMessage>) async throws {
            if case .terminated(let path, let reason) = signal {
                signals.record("\(path.name) \(reason.isFailure ? "failed" : "stopped")")
            }
        }
    }

    @Test func aWatcherIsToldWhenTheWatchedActorStopsForGoodButNotWhenItRestarts() async throws {
        let system = try ActorSystem.forTesting()
        try await system.start(.supervisor("sup", SupervisorSpec(children: [worker("w", restart: .transient)])))
        let watched = try system.worker("/root/sup/w")
        let signals = TestProbe<String>()
        let watcher = try await system.spawn("watcher", mailbox: mailbox(8)) { Watcher(signals: signals) }
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system, under: "/root/sup/")
        watcher.trySend(.watch(watched))
        try await eventually("watch registered") { watcher.metrics.processed == 1 }

        watched.trySend(.fail)  // transient: restarted, not terminated
        try await lifecycle.expect(sequence: [.failed("/root/sup/w"), .started("/root/sup/w")])
        #expect(signals.pending.isEmpty)

        watched.trySend(.stopSelf)  // transient, normal stop: gone for good
        try await signals.expect("w stopped")
        await system.shutdown()
    }

    @Test func watchingAnAlreadyTerminatedActorSignalsAtOnce() async throws {
        let system = try ActorSystem.forTesting()
        let target = try await system.spawn("target", mailbox: mailbox(4), restart: .temporary) { Worker() }
        await system.stop(childNamed: "target")
        let signals = TestProbe<String>()
        let watcher = try await system.spawn("watcher", mailbox: mailbox(8)) { Watcher(signals: signals) }
        watcher.trySend(.watch(target))
        try await signals.expect("target stopped")
        #expect(try await target.termination().isFailure == false)
        await system.shutdown()
    }

    @Test func terminationCanBeAwaitedFromOutsideActors() async throws {
        let system = try ActorSystem.forTesting()
        let target = try await system.spawn("target", mailbox: mailbox(4), restart: .temporary) { Worker() }
        async let ended = target.termination()
        target.trySend(.fail)
        let reason = try await ended
        #expect(reason.isFailure)
        await system.shutdown()
    }

    @Test func cancelledTerminationWaitsThrowAndLeaveNoWatcherBehind() async throws {
        let system = try ActorSystem.forTesting()
        let target = try await system.spawn("target", mailbox: mailbox(4)) { Worker() }
        let waits = (0..<100).map { _ in Task { try await target.termination() } }
        try await eventually("all watching") { target.cell.lock.withLock { target.cell.watchers.count } == 100 }
        for wait in waits { wait.cancel() }
        for wait in waits {
            await #expect(throws: CancellationError.self) { try await wait.value }
        }
        #expect(target.cell.lock.withLock { target.cell.watchers.isEmpty })
        await system.shutdown()
    }

    @Test func unwatchingAndStoppingLeaveNoWatcherBehind() async throws {
        let system = try ActorSystem.forTesting()
        let target = try await system.spawn("target", mailbox: mailbox(4)) { Worker() }
        let signals = TestProbe<String>()
        let first = try await system.spawn("first", mailbox: mailbox(8)) { Watcher(signals: signals) }
        let second = try await system.spawn("second", mailbox: mailbox(8)) { Watcher(signals: signals) }
        first.trySend(.watch(target))
        second.trySend(.watch(target))
        try await eventually("both watching") { target.cell.lock.withLock { target.cell.watchers.count } == 2 }
        first.trySend(.unwatch(target))
        try await eventually("one unwatched") { target.cell.lock.withLock { target.cell.watchers.count } == 1 }
        await system.stop(childNamed: "second")  // a stopped watcher stops watching
        try await eventually("no watcher left") { target.cell.lock.withLock { target.cell.watchers.isEmpty } }
        await system.shutdown()
        #expect(signals.allEvents.isEmpty)
    }
}
