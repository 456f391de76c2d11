import Testing
import Troupe
import TroupeTesting

@Suite struct SmokeTests {
    @Test func tellAskRestartShutdown() async throws {
        let system = try ActorSystem.forTesting()
        let counter = try await system.spawn("counter", mailbox: mailbox(100)) { Counter() }
        for _ in 0..<10 { await counter.send(.increment) }
        #expect(try await counter.ask { .get($0) } == 10)
        await counter.send(.fail)
        // Restarted with fresh state; the ref still works.
        #expect(try await counter.ask { .get($0) } == 0)
        #expect(counter.metrics.restarts == 1)
        let report = await system.shutdown()
        #expect(report.completed)
        #expect(system.liveTaskCount == 0)
        #expect(system.liveActorCount == 0)
        #expect(counter.trySend(.increment) == .stopped)
    }
}
