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

    @Test func aProbeWaitThatTimesOutSaysWhatItSaw() async throws {
        let probe = TestProbe<String>(timeout: .milliseconds(20))
        probe.record("a")
        try await probe.expect("a")
        await #expect(throws: ProbeTimeout.self) { try await probe.next() }
    }
}
