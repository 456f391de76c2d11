import Testing
@testable import Troupe
import TroupeTesting

@Suite struct CircuitBreakerTests {
    private func configuration(
        threshold: Int = 3, open: Duration = .seconds(10), probes: Int = 1, probeTimeout: Duration = .seconds(5)
    ) throws -> CircuitBreakerConfiguration {
        try CircuitBreakerConfiguration(
            failureThreshold: threshold, openDuration: open, halfOpenProbes: probes, probeTimeout: probeTimeout
        )
    }

    private func at(_ seconds: Double) -> ClockInstant {
        ClockInstant(offset: .milliseconds(Int64(seconds * 1_000)))
    }

    private func permit(_ admission: CircuitBreakerState.Admission) throws -> CircuitBreakerState.Permit {
        guard case .granted(let permit) = admission else {
            Issue.record("expected a permit, got \(admission)")
            throw TestFailure("no permit")
        }
        return permit
    }

    /// Fails `count` admitted calls at `now`.
    private func fail(_ count: Int, _ state: inout CircuitBreakerState, at now: ClockInstant) throws {
        for _ in 0..<count {
            state.record(.failure, for: try permit(state.acquire(now: now)), now: now)
        }
    }

    // MARK: The state machine

    @Test func closedOpensAtTheThresholdOfConsecutiveFailuresAndASuccessResetsTheCount() throws {
        var state = CircuitBreakerState(configuration: try configuration(threshold: 3))
        try fail(2, &state, at: at(0))
        state.record(.success, for: try permit(state.acquire(now: at(0))), now: at(0))
        #expect(state.metrics.consecutiveFailures == 0)
        try fail(2, &state, at: at(1))
        #expect(state.phase == .closed, "two in a row after the success: still closed")
        try fail(1, &state, at: at(1))
        #expect(state.phase == .open)
        #expect(state.metrics.opened == 1)
        #expect(state.metrics.lastTransition == at(1))
    }

    @Test func openRejectsWithTheExactTimeLeftUntilTheOpenDurationHasPassed() throws {
        var state = CircuitBreakerState(configuration: try configuration(threshold: 1, open: .seconds(10)))
        try fail(1, &state, at: at(2))
        #expect(state.acquire(now: at(2)) == .rejected(retryAfter: .seconds(10)))
        #expect(state.acquire(now: at(9.75)) == .rejected(retryAfter: .milliseconds(2_250)))
        #expect(state.acquire(now: at(11.999)) == .rejected(retryAfter: .milliseconds(1)))
        #expect(state.metrics.rejected == 3)
        let probe = try permit(state.acquire(now: at(12)))
        #expect(probe.isProbe)
        #expect(state.phase == .halfOpen)
        #expect(state.metrics.halfOpened == 1)
    }

    @Test func aSucceedingProbeClosesTheCircuit() throws {
        var state = CircuitBreakerState(configuration: try configuration(threshold: 1, open: .seconds(10)))
        try fail(1, &state, at: at(0))
        let probe = try permit(state.acquire(now: at(10)))
        #expect(state.acquire(now: at(10)) == .rejected(retryAfter: nil), "one probe at a time")
        state.record(.success, for: probe, now: at(11))
        #expect(state.phase == .closed)
        #expect(state.metrics.closed == 1)
        #expect(try !permit(state.acquire(now: at(11))).isProbe)
    }

    @Test func aFailingProbeReopensTheCircuitForAFullOpenDuration() throws {
        var state = CircuitBreakerState(configuration: try configuration(threshold: 1, open: .seconds(10)))
        try fail(1, &state, at: at(0))
        let probe = try permit(state.acquire(now: at(10)))
        state.record(.failure, for: probe, now: at(13))
        #expect(state.phase == .open)
        #expect(state.metrics.reopened == 1)
        #expect(state.acquire(now: at(13)) == .rejected(retryAfter: .seconds(10)), "a full open duration from the failure")
        #expect(try permit(state.acquire(now: at(23))).isProbe)
        #expect(state.metrics.halfOpened == 2)
    }

    @Test func everyProbeMustSucceedAndCallsBeyondTheProbesFailFast() throws {
        var state = CircuitBreakerState(configuration: try configuration(threshold: 1, open: .seconds(1), probes: 2))
        try fail(1, &state, at: at(0))
        let first = try permit(state.acquire(now: at(1)))
        let second = try permit(state.acquire(now: at(1)))
        #expect(state.acquire(now: at(1)) == .rejected(retryAfter: nil))
        state.record(.success, for: first, now: at(1.5))
        #expect(state.phase == .halfOpen, "one of two probes is not enough")
        #expect(state.acquire(now: at(1.5)) == .rejected(retryAfter: nil), "a finished probe does not free a slot")
        state.record(.success, for: second, now: at(1.6))
        #expect(state.phase == .closed)
    }

    @Test func aProbeWithoutVerdictReopensTheCircuitAfterTheProbeTimeout() throws {
        var state = CircuitBreakerState(configuration: try configuration(threshold: 1, open: .seconds(10), probeTimeout: .seconds(5)))
        try fail(1, &state, at: at(0))
        let lost = try permit(state.acquire(now: at(10)))
        state.advance(to: at(14.999))
        #expect(state.phase == .halfOpen)
        state.advance(to: at(15))
        #expect(state.phase == .open)
        #expect(state.metrics.reopened == 1)
        state.record(.success, for: lost, now: at(16))
        #expect(state.phase == .open, "the lost probe's late verdict is stale")
        #expect(state.metrics.stale == 1)
        #expect(state.acquire(now: at(16)) == .rejected(retryAfter: .seconds(9)))
    }

    @Test func outcomesOfPermitsFromAnEarlierPhaseAreStale() throws {
        var state = CircuitBreakerState(configuration: try configuration(threshold: 2, open: .seconds(10)))
        let slow = try permit(state.acquire(now: at(0)))
        try fail(2, &state, at: at(1))
        let probe = try permit(state.acquire(now: at(11)))
        state.record(.success, for: slow, now: at(12))
        #expect(state.phase == .halfOpen, "a success from before the circuit opened does not close it")
        state.record(.success, for: probe, now: at(12))
        #expect(state.phase == .closed)
        state.record(.failure, for: slow, now: at(13))
        #expect(state.metrics.consecutiveFailures == 0, "nor does its failure count now")
        #expect(state.metrics.stale == 2)
        var other = CircuitBreakerState(configuration: try configuration(), instance: 1)
        other.record(.failure, for: try permit(state.acquire(now: at(13))), now: at(13))
        #expect(other.metrics.stale == 1, "permits of another instance (a previous incarnation) are stale")
    }

    @Test func ignoredOutcomesMoveNothingButFreeTheirProbeSlot() throws {
        var state = CircuitBreakerState(configuration: try configuration(threshold: 1, open: .seconds(1)))
        state.record(.ignored, for: try permit(state.acquire(now: at(0))), now: at(0))
        #expect(state.phase == .closed)
        try fail(1, &state, at: at(0))
        let probe = try permit(state.acquire(now: at(1)))
        state.record(.ignored, for: probe, now: at(1))
        #expect(state.phase == .halfOpen)
        #expect(try permit(state.acquire(now: at(1))).isProbe, "the slot is free again")
        #expect(state.metrics.ignored == 2)
    }

    @Test func invalidSettingsAreConfigurationErrors() {
        #expect(throws: ConfigurationError.notPositive(setting: "circuit breaker failure threshold", value: 0)) {
            try CircuitBreakerConfiguration(failureThreshold: 0)
        }
        #expect(throws: ConfigurationError.invalidDuration(setting: "circuit breaker open duration", value: .zero)) {
            try CircuitBreakerConfiguration(openDuration: .zero)
        }
        #expect(throws: ConfigurationError.self) { try CircuitBreakerConfiguration(halfOpenProbes: -1) }
        #expect(throws: ConfigurationError.self) { try CircuitBreakerConfiguration(probeTimeout: .seconds(-1)) }
    }

    // MARK: The actor

    @Test func theActorWalksEveryTransitionOnTheManualClockUnderASupervisor() async throws {
        let clock = ManualClock()
        let system = try ActorSystem.forTesting(clock: clock)
        let breaker = CircuitBreaker(try configuration(threshold: 2, open: .seconds(10)))
        try await system.start(.supervisor("services", SupervisorSpec(children: [breaker.childSpec("breaker")])))
        let calls = SharedCount()
        let failing: @Sendable () async throws -> Int = {
            calls.increment()
            throw TestFailure("database down")
        }
        let working: @Sendable () async throws -> Int = {
            calls.increment()
            return 42
        }

        for _ in 0..<2 {
            await #expect(throws: CircuitBreakerError.self) { try await breaker.run(failing) }
        }
        #expect(try await breaker.metrics().phase == .open)
        do {
            _ = try await breaker.run(working)
            Issue.record("an open circuit ran the operation")
        } catch .circuitOpen(let retryAfter) {
            #expect(retryAfter == .seconds(10))
        }
        #expect(calls.value == 2, "failing fast does not run the operation")

        clock.advance(by: .seconds(10))
        do {
            _ = try await breaker.run(failing)
        } catch .failed(let error) {
            #expect(error as? TestFailure == TestFailure("database down"))
        }
        #expect(try await breaker.metrics().phase == .open, "the failed probe reopened the circuit")

        clock.advance(by: .seconds(10))
        #expect(try await breaker.run(working) == 42)
        let metrics = try await breaker.metrics()
        #expect(metrics.phase == .closed)
        #expect(metrics.opened == 1)
        #expect(metrics.halfOpened == 2)
        #expect(metrics.reopened == 1)
        #expect(metrics.closed == 1)
        #expect(metrics.rejected == 1)
        #expect(metrics.lastTransition == ClockInstant(offset: .seconds(20)))
        #expect(calls.value == 4)
        await system.shutdown()
    }

    /// Holds the thread it runs on until its gate opens.
    struct ThreadBlocker: Behavior {
        let gate: BlockingGate

        func receive(_ message: Int, context: ActorContext<Int>) async throws {
            gate.block()
        }
    }

    /// A half-open probe ends while the breaker's mailbox is full (its one thread held, one
    /// request queued, the next refused): its verdict must still reach the breaker, or the
    /// probe slot stays taken and the circuit half-open until the probe timeout.
    @Test(arguments: [true, false])
    func aProbesVerdictReachesTheBreakerThroughAFullMailbox(_ probeSucceeds: Bool) async throws {
        let clock = ManualClock()
        // Immediate turns off: the test fills the breaker's mailbox by holding its thread.
        let system = try ActorSystem.forTesting(clock: clock, threads: 1, immediateTurnDepth: 0)
        let breaker = CircuitBreaker(try configuration(threshold: 1, open: .seconds(10)), mailbox: mailbox(1, .fail))
        try await system.start(.supervisor("services", SupervisorSpec(children: [breaker.childSpec("breaker")])))
        let ref = try #require(system.lookup(ActorPath("/root/services/breaker")!, as: CircuitBreakerMessage.self))
        await #expect(throws: CircuitBreakerError.self) { try await breaker.run { () async throws -> Int in throw TestFailure("down") } }
        #expect(try await breaker.metrics().phase == .open)
        clock.advance(by: .seconds(10))

        let probeRuns = Latch()
        let threadHeld = BlockingGate()
        try await withThrowingTaskGroup(of: Void.self) { group in
            let probe: @Sendable () async throws -> Int = {
                await probeRuns.wait()
                if probeSucceeds { return 1 }
                throw TestFailure("still down")
            }
            group.addTask { _ = try? await breaker.run(probe) }
            try await probeRuns.waitForArrivals(1)
            // The breaker's only thread is held, so nothing leaves its mailbox.
            let blocker = try await system.spawn("blocker", mailbox: mailbox(1)) { ThreadBlocker(gate: threadHeld) }
            blocker.trySend(0)
            try await threadHeld.waitForArrivals(1)
            group.addTask { _ = try await breaker.metrics() }
            try await eventually("a request fills the mailbox") { ref.metrics.mailboxDepth == 1 }
            do throws(CircuitBreakerError) {
                _ = try await breaker.acquire()
                Issue.record("a full mailbox admitted a request")
            } catch .unavailable(.mailboxFull(_)) {
            } catch {
                Issue.record("unexpected \(error)")
            }
            // The probe ends and reports while the mailbox is full.
            probeRuns.open()
            _ = try await group.next()
            threadHeld.open()
            try await group.waitForAll()
        }
        let metrics = try await breaker.metrics()
        #expect(metrics.phase == (probeSucceeds ? .closed : .open), "the verdict was not lost")
        #expect(metrics.halfOpened == 1)
        #expect(probeSucceeds ? metrics.closed == 1 : metrics.reopened == 1)
        #expect(!threadHeld.timedOut)
        await system.shutdown()
    }

    @Test func callsRunConcurrentlyOutsideTheActor() async throws {
        let system = try ActorSystem.forTesting()
        let breaker = CircuitBreaker(try configuration())
        try await system.start(breaker, name: "breaker")
        let gate = Latch()
        let both = try await withThrowingTaskGroup(of: Int.self) { group in
            for value in 1...2 {
                group.addTask {
                    try await breaker.run {
                        await gate.wait()
                        return value
                    }
                }
            }
            // Both operations are inside `run` at once: the breaker does not serialize them.
            try await gate.waitForArrivals(2)
            gate.open()
            return try await group.reduce(0, +)
        }
        #expect(both == 3)
        #expect(try await breaker.metrics().successes == 2)
        await system.shutdown()
    }

    @Test func aCancelledCallIsNotAFailureOfTheService() async throws {
        let system = try ActorSystem.forTesting()
        let breaker = CircuitBreaker(try configuration(threshold: 1))
        try await system.start(breaker, name: "breaker")
        await #expect(throws: CircuitBreakerError.self) {
            try await breaker.run { () async throws -> Int in throw CancellationError() }
        }
        let metrics = try await breaker.metrics()
        #expect(metrics.phase == .closed)
        #expect(metrics.ignored == 1)
        await system.shutdown()
    }

    @Test func aBreakerNotPlacedInATreeSaysSo() async throws {
        let breaker = CircuitBreaker(try configuration())
        do {
            _ = try await breaker.run { 1 }
            Issue.record("ran without an actor")
        } catch .notStarted {
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
