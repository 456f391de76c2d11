import Testing
@testable import Troupe
import TroupeTesting

/// The executor's hand-off between workers, as a user of the runtime would notice it.
@Suite struct ActorExecutorTests {
    /// Two jobs queued together while one worker spins and the other sleeps: the spinner
    /// takes the first, which runs long, and wakes the sleeper for the second instead of
    /// leaving it queued until the first ends. (Pushes leave every job to a spinning worker,
    /// so only the worker that takes one can tell that more wait.)
    @Test func aLongJobDoesNotHoldUpTheNextWhileAWorkerSleeps() async throws {
        let executor = ActorExecutor(name: "handoff", threads: 2)
        defer { executor.shutdown() }
        for _ in 0..<20 {
            // A worker runs this and then spins for the next job; the other sleeps.
            await withTaskGroup(of: Void.self) { group in
                group.addTask(executorPreference: executor) {}
            }
            let long = BlockingGate()
            let next = TestProbe<String>()
            await withTaskGroup(of: Void.self) { group in
                group.addTask(executorPreference: executor) { long.block() }
                group.addTask(executorPreference: executor) { next.record("ran") }
                await #expect(throws: Never.self) { try await next.next() }
                long.open()
            }
            #expect(!long.timedOut, "the second job ran only after the first one ended")
        }
    }
}
