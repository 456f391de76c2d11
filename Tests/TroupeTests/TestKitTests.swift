import Testing
import Troupe
import TroupeTesting

/// The test kit itself: what scenario tests rely on.
@Suite struct TestKitTests {
    /// Several tasks may wait on one probe: each event reaches exactly one of them, and no
    /// waiter is lost when another one arrives.
    @Test func manyTasksWaitingOnOneProbeEachGetOneEvent() async throws {
        let probe = TestProbe<Int>()
        let received = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<50 { group.addTask { try await probe.next() } }
            for value in 0..<50 {
                await Task.yield()
                probe.record(value)
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(received.sorted() == Array(0..<50))
        try probe.expectNoPendingEvents()
    }

    /// A test system's log lines go to the logger it was given, from its level up.
    @Test func aTestSystemLogsToItsLoggerFromItsLevelUp() async throws {
        let lines = TestProbe<String>()
        let system = try ActorSystem.forTesting(logLevel: .error) { level, line in lines.record("\(level) \(line)") }
        system.injectFault(at: .root)  // the root supervisor fails: an error line
        _ = await system.terminated()
        let line = try await lines.next()
        #expect(line.hasPrefix("error [test] the root supervisor of test ended"))
        await system.shutdown()
    }

    /// Without a log level a test system logs nothing, not even the end of its root.
    @Test func aTestSystemWithoutALogLevelLogsNothing() async throws {
        let lines = TestProbe<String>()
        let system = try ActorSystem.forTesting(logLevel: nil) { _, line in lines.record(line) }
        system.injectFault(at: .root)
        _ = await system.terminated()  // the line would have been logged before this returns
        try lines.expectNoPendingEvents()
        await system.shutdown()
    }

    @Test func aProbeWaitThatTimesOutSaysWhatItSaw() async throws {
        let probe = TestProbe<String>(timeout: .milliseconds(20))
        probe.record("a")
        try await probe.expect("a")
        await #expect(throws: ProbeTimeout.self) { try await probe.next() }
    }
}
