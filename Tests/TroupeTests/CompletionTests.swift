import Testing
@testable import Troupe
import TroupeTesting

/// `Completion`'s deadline timer against clocks that act inside `schedule`, as the
/// `ActorClock` contract allows: it must be scheduled outside the completion's lock.
@Suite struct CompletionTests {
    /// The timer of an already-passed deadline fires inside `schedule` on this clock; with the
    /// timer scheduled under the completion's lock, its action (which takes that lock) hung.
    @Test func aWaitWhoseTimerFiresInsideScheduleEndsAtOnce() async {
        let clock = EagerClock()
        let completion = Completion<Int>()
        let result = await completion.wait(until: clock.now, clock: clock)
        #expect(result == nil, "the deadline had passed: no result")
        #expect(clock.firedInsideSchedule.load(ordering: .relaxed) == 1)
        #expect(completion.succeed(1), "a timed-out wait leaves the completion open")
    }

    /// A result that arrives first cancels the waiter's timer, which never fires later.
    @Test func aResultBeforeTheDeadlineCancelsTheTimer() async throws {
        let clock = ManualClock()
        let completion = Completion<Int>()
        async let waited = completion.wait(until: clock.now.advanced(by: .seconds(5)), clock: clock)
        try await clock.waitForTimers(count: 1)
        completion.succeed(7)
        let result = await waited
        #expect((try? result?.get()) == 7)
        #expect(clock.advanceToNextTimer() == nil, "no timer is left scheduled")
    }
}
