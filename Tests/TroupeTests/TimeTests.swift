import Synchronization
import Testing
@testable import Troupe
import TroupeTesting

@Suite struct TimeTests {
    /// Records (name, now-at-firing) for timers fired by a clock.
    // Unchecked Sendable: `entries` is only accessed under `lock` (a pthread lock,
    // which ThreadSanitizer understands, unlike `Mutex`).
    final class FiringLog: @unchecked Sendable {
        private let lock = Lock()
        private var entries: [String] = []
        func add(_ entry: String) { lock.withLock { entries.append(entry) } }
        var all: [String] { lock.withLock { entries } }
    }

    @Test func manualClockFiresInDeadlineOrderTiesInSchedulingOrderEachAtItsDeadline() {
        let clock = ManualClock()
        let log = FiringLog()
        for (name, seconds) in [("c", 3), ("a1", 1), ("b", 2), ("a2", 1)] {
            clock.schedule(ActionTimer(deadline: .zero.advanced(by: .seconds(seconds))) { [clock] in
                log.add("\(name)@\(clock.now.offset)")
            })
        }
        clock.advance(by: .milliseconds(999))
        #expect(log.all.isEmpty)
        clock.advance(by: .seconds(5))
        #expect(log.all == ["a1@1.0 seconds", "a2@1.0 seconds", "b@2.0 seconds", "c@3.0 seconds"])
        #expect(clock.now == ClockInstant(offset: .milliseconds(5_999)))
    }

    @Test func timersScheduledWhileAdvancingFireInTheSameAdvanceIfDue() {
        let clock = ManualClock()
        let log = FiringLog()
        clock.schedule(ActionTimer(deadline: ClockInstant(offset: .seconds(1))) { [clock] in
            log.add("first")
            clock.schedule(ActionTimer(deadline: clock.now.advanced(by: .seconds(1))) { log.add("second") })
            clock.schedule(ActionTimer(deadline: clock.now.advanced(by: .seconds(10))) { log.add("late") })
        })
        clock.advance(by: .seconds(3))
        #expect(log.all == ["first", "second"])
        #expect(clock.scheduledCount == 1)
    }

    @Test func cancelledTimersNeverFire() {
        let clock = ManualClock()
        let log = FiringLog()
        let timer = ActionTimer(deadline: ClockInstant(offset: .seconds(1))) { log.add("fired") }
        clock.schedule(timer)
        #expect(clock.cancel(timer))
        #expect(!clock.cancel(timer))
        clock.advance(by: .seconds(2))
        #expect(log.all.isEmpty)
    }

    @Test func sleepingOnTheManualClockEndsOnAdvanceOrCancellation() async throws {
        let clock = ManualClock()
        let sleeper = Task { try await clock.sleep(for: .seconds(5)) }
        try await clock.waitForTimers(count: 1)
        clock.advance(by: .seconds(5))
        try await sleeper.value
        let cancelled = Task { try await clock.sleep(for: .seconds(5)) }
        try await clock.waitForTimers(count: 1)
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        #expect(clock.scheduledCount == 0)
    }

    @Test func theSystemClockFiresDueTimersAndSkipsCancelledOnes() async throws {
        let clock = SystemClock()
        let log = FiringLog()
        let done = Latch()
        // Due before the other, and far enough ahead that cancelling it right away wins even
        // on a slow machine (under ThreadSanitizer); the other fires after it would have.
        let cancelled = ActionTimer(deadline: clock.now.advanced(by: .milliseconds(100))) { log.add("cancelled") }
        clock.schedule(cancelled)
        #expect(clock.cancel(cancelled))
        clock.schedule(ActionTimer(deadline: clock.now.advanced(by: .milliseconds(200))) {
            log.add("due")
            done.open()
        })
        await done.wait()
        #expect(log.all == ["due"])
        #expect(clock.pendingTimerCount == 0)
    }

    /// The timer thread ends when it has had no timer for a while (a shut-down system that
    /// is still referenced holds no thread) and a new timer starts another.
    @Test func theSystemClockThreadEndsWhenIdleAndComesBackForTheNextTimer() async throws {
        let clock = SystemClock(idleThreadLinger: .milliseconds(1))
        #expect(!clock.hasTimerThread, "no thread before the first timer")
        for round in 1...2 {
            let fired = Latch()
            clock.schedule(ActionTimer(deadline: clock.now.advanced(by: .milliseconds(1))) { fired.open() })
            await fired.wait()
            try await eventually("round \(round): the idle thread ends") { !clock.hasTimerThread }
        }
    }

    /// Cancellation racing the sleep's own setup (before, during or after the timer is
    /// scheduled) always ends the sleep at once and leaves no timer behind.
    @Test func sleepsCancelledAtAnyMomentEndAtOnceAndLeaveNoTimer() async throws {
        let clock = ManualClock()
        for _ in 0..<20 {
            let sleepers = (0..<100).map { _ in Task { try await clock.sleep(for: .seconds(3600)) } }
            for sleeper in sleepers { sleeper.cancel() }
            for sleeper in sleepers {
                await #expect(throws: CancellationError.self) { try await sleeper.value }
            }
            #expect(clock.scheduledCount == 0)
        }
    }

    @Test func timerHeapPopsInOrderWhateverTheInsertAndRemoveOrder() {
        var generator = SplitMix64(seed: 99)
        var heap = TimerHeap()
        var live: [ClockTimer] = []
        for index in 0..<2_000 {
            let timer = ActionTimer(deadline: ClockInstant(offset: .milliseconds(Int64(generator.next() % 500)))) {}
            heap.insert(timer)
            live.append(timer)
            if index % 3 == 0, let victim = live.randomElement(using: &generator) {
                let removed = heap.remove(victim)
                #expect(removed)
                live.removeAll { $0 === victim }
            }
        }
        var popped: [ClockInstant] = []
        while let timer = heap.popDue(at: ClockInstant(offset: .seconds(1))) { popped.append(timer.deadline) }
        #expect(popped == live.map(\.deadline).sorted())
        #expect(heap.isEmpty)
    }

    final class Expiring: DeadlineNode, @unchecked Sendable {
        let name: String
        let log: FiringLog
        init(_ name: String, _ log: FiringLog) {
            self.name = name
            self.log = log
        }
        override func deadlinePassed() { log.add(name) }
    }

    @Test func deadlineLanesExpireWaitsInDeadlineOrderAndSkipFinishedOnes() {
        let clock = ManualClock()
        let lanes = DeadlineLanes(clock: clock)
        let log = FiringLog()
        let a = Expiring("a", log), b = Expiring("b", log), c = Expiring("c", log), d = Expiring("d", log)
        lanes.add(a, timeout: .seconds(5))
        lanes.add(b, timeout: .seconds(1))
        clock.advance(by: .seconds(1))  // b expires
        lanes.add(c, timeout: .seconds(5))
        lanes.add(d, timeout: .seconds(2))
        #expect(lanes.remove(c))
        #expect(!lanes.remove(b), "already expired")
        clock.advance(by: .seconds(10))
        #expect(log.all == ["b", "d", "a"])
        #expect(clock.scheduledCount == 0, "the sweep timer is not re-armed with nothing left")
    }

    @Test func aManySequentialWaitsWithOneTimeoutReArmTheSweepRarely() {
        let clock = ManualClock()
        let lanes = DeadlineLanes(clock: clock)
        let log = FiringLog()
        for index in 0..<1_000 {
            let wait = Expiring("\(index)", log)
            lanes.add(wait, timeout: .seconds(5))
            lanes.remove(wait)
        }
        #expect(clock.scheduledCount == 1)
        #expect(log.all.isEmpty)
    }
}

@Suite struct SupportTests {
    final class Tracked: Sendable {
        let released: Counter
        init(_ released: Counter) { self.released = released }
        deinit { released.add() }
    }

    final class Counter: Sendable {
        private let value = Atomic(0)
        func add() { value.add(1, ordering: .relaxed) }
        var count: Int { value.load(ordering: .relaxed) }
    }

    @Test func ringBufferKeepsOrderAcrossGrowthAndWrapAround() {
        var ring = RingBuffer<Int>()
        var model: [Int] = []
        var next = 0
        for round in 0..<200 {
            for _ in 0..<(round % 7 + 1) {
                ring.append(next)
                model.append(next)
                next += 1
            }
            for _ in 0..<(round % 5) {
                #expect(ring.popFirst() == (model.isEmpty ? nil : model.removeFirst()))
            }
        }
        var rest: [Int] = []
        ring.moveFront(10, into: &rest)
        #expect(rest == Array(model.prefix(10)))
        #expect(ring.count == max(0, model.count - 10))
    }

    @Test func ringBufferReleasesWhatItHolds() {
        let released = Counter()
        do {
            var ring = RingBuffer<Tracked>()
            for _ in 0..<10 { ring.append(Tracked(released)) }
            _ = ring.popFirst()
            #expect(released.count == 1)
        }
        #expect(released.count == 10, "the ring's deinit releases the rest")
    }

    @Test func latencyHistogramQuantilesAreBucketUpperBounds() {
        var histogram = LatencyHistogram()
        #expect(histogram.quantile(0.5) == nil)
        for _ in 0..<90 { histogram.record(.microseconds(3)) }  // bucket [2048, 4096) ns
        for _ in 0..<10 { histogram.record(.milliseconds(2)) }  // bucket [2^20, 2^21) ns
        #expect(histogram.count == 100)
        #expect(histogram.quantile(0.5) == .nanoseconds(4_096))
        #expect(histogram.quantile(0.9) == .nanoseconds(4_096))
        #expect(histogram.quantile(0.99) == .nanoseconds(2_097_152))
    }

    @Test func pathsParseAndEscapeKeys() {
        #expect(ActorPath("/root/a/b")?.components == ["root", "a", "b"])
        #expect(ActorPath("root/a") == nil)
        #expect(ActorPath("/root//a") == nil)
        #expect(ActorPath.escapedName("a/b c%") == "a%2Fb%20c%25")
        #expect(ActorPath.isValidName(ActorPath.escapedName("x\ny")))
        #expect(ActorPath.root.appending("a").description == "/root/a")
    }
}
