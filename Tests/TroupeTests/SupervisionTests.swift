import Synchronization
import Testing
@testable import Troupe
import TroupeTesting

@Suite struct SupervisionTests {
    private func tree(
        _ strategy: RestartStrategy, children: [String], intensity: RestartIntensity = .default
    ) async throws -> (ActorSystem, TestProbe<Lifecycle>) {
        let system = try ActorSystem.forTesting()
        let spec = try SupervisorSpec(strategy: strategy, intensity: intensity, children: children.map { try worker($0) })
        try await system.start(.supervisor("sup", spec))
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system, under: "/root/sup/")
        return (system, lifecycle)
    }

    @Test func oneForOneRestartsOnlyTheFailedChild() async throws {
        let (system, lifecycle) = try await tree(.oneForOne, children: ["a", "b", "c"])
        try system.worker("/root/sup/b").trySend(.fail)
        try await lifecycle.expect(sequence: [.failed("/root/sup/b"), .started("/root/sup/b")])
        #expect(try await system.worker("/root/sup/b").ask { .ping($0) } == 1)
        #expect(try await system.worker("/root/sup/a").ask { .ping($0) } == 0)
        #expect(try await system.worker("/root/sup/c").ask { .ping($0) } == 0)
        try lifecycle.expectNoPendingEvents()
        await system.shutdown()
    }

    @Test func oneForAllStopsTheOthersInReverseThenStartsAllInOrder() async throws {
        let (system, lifecycle) = try await tree(.oneForAll, children: ["a", "b", "c"])
        try system.worker("/root/sup/b").trySend(.fail)
        try await lifecycle.expect(sequence: [
            .failed("/root/sup/b"),
            .stopped("/root/sup/c"), .stopped("/root/sup/a"),
            .started("/root/sup/a"), .started("/root/sup/b"), .started("/root/sup/c"),
        ])
        for name in ["a", "b", "c"] {
            #expect(try await system.worker("/root/sup/\(name)").ask { .ping($0) } == 1)
        }
        await system.shutdown()
    }

    @Test func restForOneRestartsTheFailedChildAndThoseStartedAfterIt() async throws {
        let (system, lifecycle) = try await tree(.restForOne, children: ["a", "b", "c", "d"])
        try system.worker("/root/sup/b").trySend(.fail)
        try await lifecycle.expect(sequence: [
            .failed("/root/sup/b"),
            .stopped("/root/sup/d"), .stopped("/root/sup/c"),
            .started("/root/sup/b"), .started("/root/sup/c"), .started("/root/sup/d"),
        ])
        #expect(try await system.worker("/root/sup/a").ask { .ping($0) } == 0)
        #expect(try await system.worker("/root/sup/d").ask { .ping($0) } == 1)
        await system.shutdown()
    }

    @Test func restartTypesDecideWhatComesBack() async throws {
        let system = try ActorSystem.forTesting()
        let spec = try SupervisorSpec(children: [
            worker("permanent", restart: .permanent),
            worker("transient", restart: .transient),
            worker("temporary", restart: .temporary),
        ])
        try await system.start(.supervisor("sup", spec))
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system, under: "/root/sup/")

        // A normal stop: only the permanent child comes back.
        try system.worker("/root/sup/permanent").trySend(.stopSelf)
        try await lifecycle.expect(sequence: [.stopped("/root/sup/permanent"), .started("/root/sup/permanent")])
        try system.worker("/root/sup/transient").trySend(.stopSelf)
        try await lifecycle.expect(sequence: [.stopped("/root/sup/transient"), .terminated("/root/sup/transient")])

        // A failure: the temporary child does not come back, and leaves the tree (OTP);
        // the transient one that ended normally stays, stopped.
        try system.worker("/root/sup/temporary").trySend(.fail)
        try await lifecycle.expect(sequence: [.failed("/root/sup/temporary"), .terminated("/root/sup/temporary")])
        #expect(system.lookup(ActorPath("/root/sup/temporary")!, as: WorkerMessage.self) == nil)
        #expect(try system.worker("/root/sup/transient").state == .terminated)
        await system.shutdown()
    }

    /// A group restart starts every non-temporary child of the group again, as in OTP: a
    /// transient sibling that had ended normally comes back too, and a temporary sibling is
    /// stopped for good and leaves the tree.
    @Test(arguments: [RestartStrategy.oneForAll, .restForOne])
    func aGroupRestartStartsEveryNonTemporarySiblingAgain(_ strategy: RestartStrategy) async throws {
        let system = try ActorSystem.forTesting()
        let spec = try SupervisorSpec(strategy: strategy, children: [
            worker("a"), worker("temporary", restart: .temporary), worker("transient", restart: .transient), worker("c"),
        ])
        try await system.start(.supervisor("sup", spec))
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system, under: "/root/sup/")
        try system.worker("/root/sup/transient").trySend(.stopSelf)
        try await lifecycle.expect(sequence: [.stopped("/root/sup/transient"), .terminated("/root/sup/transient")])

        let failing = strategy == .oneForAll ? "c" : "a"
        try system.worker("/root/sup/\(failing)").trySend(.fail)
        // The transient child is down already: nothing to stop, but it starts in its place.
        let expected: [Lifecycle] = strategy == .oneForAll
            ? [
                .failed("/root/sup/c"),
                .stopped("/root/sup/temporary"), .terminated("/root/sup/temporary"), .stopped("/root/sup/a"),
                .started("/root/sup/a"), .started("/root/sup/transient"), .started("/root/sup/c"),
            ]
            : [
                .failed("/root/sup/a"),
                .stopped("/root/sup/c"), .stopped("/root/sup/temporary"), .terminated("/root/sup/temporary"),
                .started("/root/sup/a"), .started("/root/sup/transient"), .started("/root/sup/c"),
            ]
        try await lifecycle.expect(sequence: expected)
        #expect(system.lookup(ActorPath("/root/sup/temporary")!, as: WorkerMessage.self) == nil, "left the tree")
        #expect(try await system.worker("/root/sup/transient").ask { .ping($0) } == 1)

        // A second group restart: the transient child, running now, is stopped and restarted
        // with the others; the temporary one is gone for good.
        try system.worker("/root/sup/\(failing)").trySend(.fail)
        try await lifecycle.skip(until: "c restarted") { $0 == .started("/root/sup/c") }
        #expect(try await system.worker("/root/sup/a").ask { .ping($0) } == 2, "restarted twice")
        #expect(try await system.worker("/root/sup/transient").ask { .ping($0) } == 2, "restarted twice")
        #expect(system.lookup(ActorPath("/root/sup/temporary")!, as: WorkerMessage.self) == nil)
        #expect(!lifecycle.allEvents.contains(.started("/root/sup/temporary")))
        try lifecycle.expectNoPendingEvents()
        await system.shutdown()
    }

    /// A fault injected into a supervisor (which takes no messages) fails it at once: its
    /// parent restarts it with its children.
    @Test func aFaultInjectedIntoASupervisorFailsItAtOnce() async throws {
        let system = try ActorSystem.forTesting()
        let inner = try SupervisorSpec(children: [worker("a"), worker("b")])
        try await system.start(.supervisor("top", SupervisorSpec(children: [.supervisor("sup", inner)])))
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system, under: "/root/top/")
        #expect(system.injectFault(at: ActorPath("/root/top/sup")!))
        try await lifecycle.expect(sequence: [
            .stopped("/root/top/sup/b"), .stopped("/root/top/sup/a"), .failed("/root/top/sup"),
            .started("/root/top/sup/a"), .started("/root/top/sup/b"), .started("/root/top/sup"),
        ])
        #expect(system.tree().contains("/root/top/sup mailbox=0/"))
        #expect(system.tree().contains("restarts=1"))
        await system.shutdown()
    }

    @Test func transientChildIsRestartedAfterAFailure() async throws {
        let system = try ActorSystem.forTesting()
        try await system.start(.supervisor("sup", SupervisorSpec(children: [worker("t", restart: .transient)])))
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system, under: "/root/sup/")
        try system.worker("/root/sup/t").trySend(.fail)
        try await lifecycle.expect(sequence: [.failed("/root/sup/t"), .started("/root/sup/t")])
        await system.shutdown()
    }

    @Test func exceededIntensityEscalatesTwoLevelsUp() async throws {
        let system = try ActorSystem.forTesting()
        let mid = try SupervisorSpec(intensity: RestartIntensity(maxRestarts: 1, within: .seconds(10)), children: [worker("worker")])
        let top = try SupervisorSpec(intensity: RestartIntensity(maxRestarts: 0, within: .seconds(10)), children: [.supervisor("mid", mid)])
        try await system.start(.supervisor("top", top))
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system, under: "/root/top")
        let escalations = TestProbe<String>()
        system.addLifecycleObserver { event in
            if case .escalated(let child, _)? = event.reason, event.kind == .ended {
                escalations.record("\(event.path) <- \(child)")
            }
        }

        try system.worker("/root/top/mid/worker").trySend(.fail)
        try await lifecycle.expect(sequence: [.failed("/root/top/mid/worker"), .started("/root/top/mid/worker")])
        try system.worker("/root/top/mid/worker").trySend(.fail)
        try await lifecycle.expect(sequence: [
            .failed("/root/top/mid/worker"),
            // mid's one restart is used up: it gives up (a shutdown, not a failure); top,
            // whose intensity is zero, cannot restart it and gives up in turn; the root
            // restarts top's whole subtree in order.
            .stopped("/root/top/mid"),
            .stopped("/root/top"),
            .started("/root/top/mid/worker"), .started("/root/top/mid"), .started("/root/top"),
        ])
        try await escalations.expect("/root/top/mid <- /root/top/mid/worker")
        try await escalations.expect("/root/top <- /root/top/mid")
        // The restarted subtree works, with fresh state.
        #expect(try await system.worker("/root/top/mid/worker").ask { .ping($0) } == 2)
        await system.shutdown()
    }

    @Test func backoffDelaysRestartsOnTheManualClock() async throws {
        let clock = ManualClock()
        let system = try ActorSystem.forTesting(clock: clock)
        let backoff = try Backoff(initial: .milliseconds(100), maximum: .milliseconds(300), jitter: 0)
        let spec = try SupervisorSpec(intensity: RestartIntensity(maxRestarts: 10, within: .seconds(60)), backoff: backoff, children: [worker("w")])
        try await system.start(.supervisor("sup", spec))
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system, under: "/root/sup/")
        let ref = try system.worker("/root/sup/w")

        for expected in [100, 200, 300, 300] {
            let before = clock.scheduledCount
            let failedAt = clock.now
            ref.trySend(.fail)
            try await lifecycle.expect(.failed("/root/sup/w"))
            try await clock.waitForTimers(count: before + 1)
            #expect(clock.nextDeadline == failedAt.advanced(by: .milliseconds(expected)))
            clock.advance(by: .milliseconds(expected - 1))
            #expect(lifecycle.pending.isEmpty, "no restart before the backoff delay")
            #expect(ref.state == .restarting)
            clock.advance(by: .milliseconds(1))
            try await lifecycle.expect(.started("/root/sup/w"))
        }
        await system.shutdown()
    }

    @Test func jitterIsBoundedAndRepeatableWithASeed() {
        let backoff = try! Backoff(initial: .milliseconds(100), maximum: .seconds(10), jitter: 0.5)
        var first = SplitMix64(seed: 7)
        var second = SplitMix64(seed: 7)
        for attempt in 0..<10 {
            let delay = backoff.delay(attempt: attempt, random: &first)
            #expect(delay == backoff.delay(attempt: attempt, random: &second))
            let base = min(Duration.milliseconds(100) * (1 << attempt), .seconds(10))
            #expect(delay <= base && delay >= base * 0.5)
        }
    }

    @Test func shutdownStopsInReverseOrderAndCancelsAChildThatIgnoresIt() async throws {
        let clock = ManualClock()
        let system = try ActorSystem.forTesting(clock: clock)
        let spec = try SupervisorSpec(children: [
            worker("a"), worker("b"),
            worker("stuck", shutdown: .graceful(timeout: .seconds(2))),
        ])
        try await system.start(.supervisor("sup", spec))
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system, under: "/root/sup/")
        let endReasons = TestProbe<String>()
        system.addLifecycleObserver { event in
            if event.kind == .ended { endReasons.record("\(event.path.name): \(event.reason!)") }
        }
        let inHandler = Latch()
        let timersBefore = clock.scheduledCount
        try system.worker("/root/sup/stuck").trySend(.sleep(.seconds(3600), inHandler))
        await inHandler.wait()
        // Its sleep (the latch opens just before the sleep's timer is set).
        try await clock.waitForTimers(count: timersBefore + 1)

        let shutdown = Task { await system.shutdown(timeout: .seconds(60)) }
        // The shutdown's own 60 s limit, and the stop routine waiting for "stuck" with a
        // 2 s timeout (in either order).
        try await clock.waitForTimers(count: timersBefore + 3)
        #expect(lifecycle.pending.isEmpty, "nothing stops before the stuck child, which stops first")
        clock.advance(by: .seconds(2))
        try await lifecycle.expect(sequence: [
            .failed("/root/sup/stuck"),  // cancelled at the timeout: an abnormal end
            .stopped("/root/sup/b"),
            .stopped("/root/sup/a"),
        ])
        try await endReasons.expect("stuck: cancelled after shutdown timeout")
        let report = await shutdown.value
        #expect(report.completed)
        #expect(system.liveTaskCount == 0)
    }

    /// A restart whose start fails is a new failure of that child: restarted again while the
    /// intensity allows, and counted towards it; then the supervisor escalates.
    @Test func aStartThatFailsDuringARestartCountsAsAnotherFailure() async throws {
        let system = try ActorSystem.forTesting()
        let startFailuresLeft = Atomic(0)
        let flaky = try worker("flaky", failStart: {
            startFailuresLeft.wrappingSubtract(1, ordering: .relaxed).oldValue > 0
        })
        let spec = try SupervisorSpec(
            strategy: .restForOne, intensity: try RestartIntensity(maxRestarts: 3, within: .seconds(5)),
            children: [flaky, worker("after")]
        )
        try await system.start(.supervisor("sup", spec))
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system, under: "/root/sup/")

        // Its first restart fails to start; the second succeeds, and "after" starts after it.
        startFailuresLeft.store(1, ordering: .relaxed)
        try system.worker("/root/sup/flaky").trySend(.fail)
        try await lifecycle.expect(sequence: [
            .failed("/root/sup/flaky"), .stopped("/root/sup/after"),
            .failed("/root/sup/flaky"),
            .started("/root/sup/flaky"), .started("/root/sup/after"),
        ])
        #expect(try await system.worker("/root/sup/flaky").ask { .ping($0) } == 2)

        // Two restarts used; one more failure and a failing start exceed three in the period.
        startFailuresLeft.store(5, ordering: .relaxed)
        let supervisorEnded = TestProbe<String>()
        system.addLifecycleObserver { event in
            if event.path.description == "/root/sup", event.kind == .ended { supervisorEnded.record("\(event.reason!)") }
        }
        try system.worker("/root/sup/flaky").trySend(.fail)
        let reason = try await supervisorEnded.next()
        #expect(reason.contains("escalated"), "\(reason)")
        await system.shutdown()
    }

    @Test func aFailingStartStopsTheStartedChildrenAndFailsTheSupervisor() async throws {
        let system = try ActorSystem.forTesting()
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system, under: "/root/sup/")
        let spec = try SupervisorSpec(children: [
            worker("a"),
            worker("b", failStart: { true }),
            worker("c"),
        ])
        await #expect(throws: TestFailure("start of b failed")) {
            try await system.start(.supervisor("sup", spec))
        }
        try await lifecycle.expect(sequence: [
            .started("/root/sup/a"),
            .failed("/root/sup/b"),
            .stopped("/root/sup/a"),
        ])
        #expect(system.lookup(ActorPath("/root/sup")!, as: Never.self) == nil, "the failed supervisor is not in the tree")
        #expect(!lifecycle.allEvents.contains(.started("/root/sup/c")), "c never started")
        await system.shutdown()
        #expect(system.liveTaskCount == 0)
    }

    @Test func childrenStartInOrderEachAfterThePreviousStarted() async throws {
        let system = try ActorSystem.forTesting()
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system, under: "/root/sup")
        try await system.start(.supervisor("sup", SupervisorSpec(children: ["a", "b", "c"].map { try worker($0) })))
        try await lifecycle.expect(sequence: [
            .started("/root/sup/a"), .started("/root/sup/b"), .started("/root/sup/c"), .started("/root/sup"),
        ])
        await system.shutdown()
        try await lifecycle.expect(sequence: [
            .stopped("/root/sup/c"), .stopped("/root/sup/b"), .stopped("/root/sup/a"),
        ])
    }

    @Test func invalidSupervisionSettingsAreTypedErrors() throws {
        #expect(throws: ConfigurationError.duplicateChildName("a")) {
            try SupervisorSpec(children: [worker("a"), worker("a")])
        }
        #expect(throws: ConfigurationError.invalidName("a/b")) { try worker("a/b") }
        #expect(throws: ConfigurationError.invalidName("")) { try worker("") }
        #expect(throws: ConfigurationError.invalidDuration(setting: "restart intensity period", value: .zero)) {
            try RestartIntensity(maxRestarts: 1, within: .zero)
        }
        #expect(throws: ConfigurationError.invalidDuration(setting: "shutdown timeout", value: .seconds(-1))) {
            try ShutdownPolicy.graceful(timeout: .seconds(-1))
        }
        #expect(throws: ConfigurationError.outOfRange(setting: "backoff jitter", value: 2, range: 0...1)) {
            try Backoff(initial: .seconds(1), maximum: .seconds(2), jitter: 2)
        }
        #expect(throws: ConfigurationError.notPositive(setting: "threads", value: 0)) {
            try ActorSystem.Configuration(threads: 0)
        }
    }
}
