import Testing
@testable import Troupe
import TroupeTesting

/// Supervision held against OTP's `supervisor`: the same scenarios, the same outcomes,
/// through the public API (on the manual clock, observed with lifecycle probes).
@Suite struct SupervisionOTPTests {
    /// Records why each incarnation under `prefix` ended, as `name: reason`.
    private func endReasons(of system: ActorSystem, under prefix: String) -> TestProbe<String> {
        let probe = TestProbe<String>(name: "end reasons")
        system.addLifecycleObserver { event in
            if event.kind == .ended, event.path.description.hasPrefix(prefix), let reason = event.reason {
                probe.record("\(event.path.name): \(reason.isShutdown ? "shutdown" : reason.isFailure ? "failure" : "normal")")
            }
        }
        return probe
    }

    // MARK: Giving up is a shutdown

    /// OTP: a supervisor past its intensity exits with `shutdown`; a transient child ending
    /// with `shutdown` is not restarted. The parent here tolerates no restart at all, so
    /// had it tried, it would have given up too.
    @Test func aTransientSupervisorThatGivesUpIsNotRestarted() async throws {
        let system = try ActorSystem.forTesting()
        let inner = try SupervisorSpec(intensity: RestartIntensity(maxRestarts: 0, within: .seconds(60)), children: [worker("w")])
        let top = try SupervisorSpec(
            intensity: RestartIntensity(maxRestarts: 0, within: .seconds(60)),
            children: [.supervisor("sup", inner, restart: .transient), worker("sibling")]
        )
        try await system.start(.supervisor("top", top))
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system, under: "/root/top")
        let reasons = endReasons(of: system, under: "/root/top")

        try system.worker("/root/top/sup/w").trySend(.fail)
        try await lifecycle.expect(sequence: [
            .failed("/root/top/sup/w"), .stopped("/root/top/sup"),
            .terminated("/root/top/sup/w"), .terminated("/root/top/sup"),
        ])
        try await reasons.expect("w: failure")
        try await reasons.expect("sup: shutdown")
        let supervisor = try #require(system.lookup(ActorPath("/root/top/sup")!, as: Never.self))
        let reason = try await supervisor.termination()
        guard case .escalated(let child, _) = reason else {
            Issue.record("sup should end by giving up, not \(reason)")
            return
        }
        #expect(child.description == "/root/top/sup/w")
        // top neither restarted sup nor gave up: its sibling still answers, first incarnation.
        #expect(try await system.worker("/root/top/sibling").ask { .ping($0) } == 0)
        #expect(system.metrics(at: ActorPath("/root/top")!)?.state == .running)
        #expect(supervisor.state == .terminated, "transient: it stays in the tree, stopped")
        try lifecycle.expectNoPendingEvents()
        await system.shutdown()
    }

    /// OTP: a permanent child is restarted whatever its exit reason, `shutdown` included,
    /// and that restart counts towards the parent's intensity. A restarted supervisor starts
    /// with no restart history (it is a new process in OTP).
    @Test func aPermanentSupervisorThatGivesUpIsRestartedAtTheCostOfOneParentRestart() async throws {
        let system = try ActorSystem.forTesting()
        let inner = try SupervisorSpec(intensity: RestartIntensity(maxRestarts: 1, within: .seconds(60)), children: [worker("w")])
        let top = try SupervisorSpec(
            intensity: RestartIntensity(maxRestarts: 1, within: .seconds(60)),
            children: [.supervisor("sup", inner, restart: .permanent)]
        )
        try await system.start(.supervisor("top", top))
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system, under: "/root/top")
        let reasons = endReasons(of: system, under: "/root/top")

        // sup's one restart.
        try system.worker("/root/top/sup/w").trySend(.fail)
        try await lifecycle.expect(sequence: [.failed("/root/top/sup/w"), .started("/root/top/sup/w")])
        // Its second: sup gives up; top restarts it, its own first restart.
        try system.worker("/root/top/sup/w").trySend(.fail)
        try await lifecycle.expect(sequence: [
            .failed("/root/top/sup/w"), .stopped("/root/top/sup"),
            .started("/root/top/sup/w"), .started("/root/top/sup"),
        ])
        #expect(system.metrics(at: ActorPath("/root/top/sup")!)?.restarts == 1)
        // The new sup has a fresh history: one failure is restarted, not a reason to give up.
        try system.worker("/root/top/sup/w").trySend(.fail)
        try await lifecycle.expect(sequence: [.failed("/root/top/sup/w"), .started("/root/top/sup/w")])
        // Another: sup gives up again, and top, its one restart spent, gives up too; the
        // root (permanent top, default intensity) restarts the whole subtree.
        try system.worker("/root/top/sup/w").trySend(.fail)
        try await lifecycle.expect(sequence: [
            .failed("/root/top/sup/w"), .stopped("/root/top/sup"), .stopped("/root/top"),
            .started("/root/top/sup/w"), .started("/root/top/sup"), .started("/root/top"),
        ])
        for expected in [
            "w: failure", "w: failure", "sup: shutdown", "w: failure", "w: failure", "sup: shutdown", "top: shutdown",
        ] {
            try await reasons.expect(expected)
        }
        #expect(try await system.worker("/root/top/sup/w").ask { .ping($0) } == 4, "four restarts")
        try lifecycle.expectNoPendingEvents()
        await system.shutdown()
    }

    /// OTP's design principles: intensities multiply up the tree. With 3 restarts allowed
    /// at both levels, each incarnation of the inner supervisor takes 4 failures of its
    /// worker, and the outer one restarts it 3 times: the 16th failure makes the outer one
    /// give up.
    @Test func intensitiesMultiplyUpTheTree() async throws {
        let system = try ActorSystem.forTesting()
        let inner = try SupervisorSpec(intensity: RestartIntensity(maxRestarts: 3, within: .seconds(60)), children: [worker("w")])
        let outer = try SupervisorSpec(
            intensity: RestartIntensity(maxRestarts: 3, within: .seconds(60)), children: [.supervisor("inner", inner)]
        )
        try await system.start(.supervisor("outer", outer, restart: .transient))
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system, under: "/root/outer")
        let worker = try system.worker("/root/outer/inner/w")
        for failure in 1...16 {
            #expect(!lifecycle.allEvents.contains(.stopped("/root/outer")), "outer still up before failure \(failure)")
            worker.trySend(.fail)
            try await lifecycle.skip(until: "failure \(failure)") { $0 == .failed("/root/outer/inner/w") }
            if failure < 16 {
                try await lifecycle.skip(until: "restart after failure \(failure)") { $0 == .started("/root/outer/inner/w") }
            }
        }
        try await lifecycle.skip(until: "outer gave up") { $0 == .terminated("/root/outer") }
        #expect(lifecycle.allEvents.filter { $0 == .stopped("/root/outer/inner") }.count == 4, "inner gave up four times")
        #expect(worker.metrics.restarts == 15)
        await system.shutdown()
    }

    // MARK: Exit reasons

    /// OTP's `permanent_shutdown` and `transient_shutdown`: `shutdown` and
    /// `{shutdown, Term}` restart a permanent child, not a transient one; a temporary one
    /// leaves. Watchers see the reason.
    @Test(arguments: [RestartType.permanent, .transient, .temporary])
    func anActorCanEndWithAShutdownReason(_ restart: RestartType) async throws {
        let system = try ActorSystem.forTesting()
        try await system.start(.supervisor("sup", SupervisorSpec(children: [worker("w", restart: restart)])))
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system, under: "/root/sup/")
        let ref = try system.worker("/root/sup/w")
        let reasons = TestProbe<String>()
        system.addLifecycleObserver { event in
            if event.kind == .ended, let reason = event.reason { reasons.record(reason.description) }
        }

        ref.trySend(.shutdownSelf("drained"))
        try await reasons.expect("shutdown: drained")
        switch restart {
        case .permanent:
            try await lifecycle.expect(sequence: [.stopped("/root/sup/w"), .started("/root/sup/w")])
            ref.trySend(.shutdownSelf(nil))
            try await reasons.expect("shutdown")
            try await lifecycle.expect(sequence: [.stopped("/root/sup/w"), .started("/root/sup/w")])
            #expect(try await ref.ask { .ping($0) } == 2)
        case .transient:
            try await lifecycle.expect(sequence: [.stopped("/root/sup/w"), .terminated("/root/sup/w")])
            guard case .shutdown(let term) = try await ref.termination() else {
                Issue.record("a transient child that shut down should stay down with that reason")
                return
            }
            #expect(term == "drained")
            #expect(try system.worker("/root/sup/w").state == .terminated, "stays in the tree")
        case .temporary:
            try await lifecycle.expect(sequence: [.stopped("/root/sup/w"), .terminated("/root/sup/w")])
            #expect(system.lookup(ActorPath("/root/sup/w")!, as: WorkerMessage.self) == nil, "left the tree")
        }
        await system.shutdown()
    }

    @Test func aWatcherSeesTheShutdownReason() async throws {
        struct Watching: Behavior {
            let target: ActorRef<WorkerMessage>
            let signals: TestProbe<String>
            func started(context: ActorContext<Never>) async throws { context.watch(target) }
            func receive(_ message: Never, context: ActorContext<Never>) async throws {}
            func receiveSignal(_ signal: Signal, context: ActorContext<Never>) async throws {
                guard case .terminated(let path, .shutdown(let reason)) = signal else {
                    signals.record("unexpected \(signal)")
                    return
                }
                signals.record("\(path.name) shut down: \(reason ?? "-")")
            }
        }
        let system = try ActorSystem.forTesting()
        let target = try await system.spawn("target", mailbox: mailbox(4), restart: .transient) { Worker() }
        let signals = TestProbe<String>()
        _ = try await system.spawn("watcher", mailbox: mailbox(4)) { Watching(target: target, signals: signals) }
        target.trySend(.shutdownSelf("connection closed"))
        try await signals.expect("target shut down: connection closed")
        await system.shutdown()
    }

    // MARK: Who stays in the tree

    enum Placement: String, Sendable, CaseIterable { case spec, start, spawn }

    struct StayCase: Sendable, CustomTestStringConvertible {
        let placement: Placement
        let restart: RestartType
        let failed: Bool
        var testDescription: String { "\(restart) added by \(placement), \(failed ? "failed" : "ended normally")" }
    }

    static let stayCases: [StayCase] = Placement.allCases.flatMap { placement in
        [RestartType.permanent, .transient, .temporary].flatMap { restart in
            [false, true].map { StayCase(placement: placement, restart: restart, failed: $0) }
        }
    }

    /// OTP's `permanent_normal`, `transient_normal`, `temporary_normal` and
    /// `*_abnormal`: whether added in a spec, with `system.start` or with `system.spawn`, a
    /// temporary child leaves the tree when it ends; a transient one that ended normally
    /// stays (stopped); everything else is restarted.
    @Test(arguments: stayCases)
    func aTemporaryChildLeavesTheTreeHoweverItWasAdded(_ scenario: StayCase) async throws {
        let system = try ActorSystem.forTesting()
        let path: String
        switch scenario.placement {
        case .spec:
            try await system.start(.supervisor("sup", SupervisorSpec(children: [worker("w", restart: scenario.restart)])))
            path = "/root/sup/w"
        case .start:
            try await system.start(worker("w", restart: scenario.restart))
            path = "/root/w"
        case .spawn:
            _ = try await system.spawn("w", mailbox: mailbox(16), restart: scenario.restart) { Worker() }
            path = "/root/w"
        }
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system, under: path)
        try system.worker(path).trySend(scenario.failed ? .fail : .stopSelf)
        let ended: Lifecycle = scenario.failed ? .failed(path) : .stopped(path)
        let comesBack = scenario.restart == .permanent || (scenario.restart == .transient && scenario.failed)
        if comesBack {
            try await lifecycle.expect(sequence: [ended, .started(path)])
            #expect(try system.worker(path).state == .running)
        } else {
            try await lifecycle.expect(sequence: [ended, .terminated(path)])
            let found = system.lookup(ActorPath(path)!, as: WorkerMessage.self)
            if scenario.restart == .temporary {
                #expect(found == nil)
                #expect(!system.tree().contains(path))
            } else {
                #expect(found?.state == .terminated)
                #expect(system.tree().split(separator: "\n").contains { $0.trimmingPrefix(while: \.isWhitespace).hasPrefix(path + " ") && $0.hasSuffix("state=terminated") })
            }
        }
        await system.shutdown()
    }

    /// As OTP's `start_child` answers `already_present` for a kept child, a transient child
    /// that ended normally keeps its name until it is stopped (deleted) explicitly; a
    /// temporary one frees it at once.
    @Test func anEndedTransientChildKeepsItsNameUntilStopped() async throws {
        let system = try ActorSystem.forTesting()
        let first = try await system.spawn("w", mailbox: mailbox(16), restart: .transient) { Worker() }
        first.trySend(.stopSelf)
        _ = try await first.termination()
        await #expect(throws: ConfigurationError.duplicateChildName("w")) {
            _ = try await system.spawn("w", mailbox: mailbox(16), restart: .transient) { Worker() }
        }
        #expect(await system.stop(childNamed: "w"))
        let second = try await system.spawn("w", mailbox: mailbox(16), restart: .temporary) { Worker() }
        second.trySend(.stopSelf)
        _ = try await second.termination()
        try await eventually("the temporary child left") { system.lookup(second.path, as: WorkerMessage.self) == nil }
        _ = try await system.spawn("w", mailbox: mailbox(16), restart: .temporary) { Worker() }
        await system.shutdown()
    }

    /// OTP restarts a supervisor by running its child specs again: a temporary child that
    /// had left comes back, in its place, when its supervisor is restarted.
    @Test func aTemporarySpecChildComesBackWithItsRestartedSupervisor() async throws {
        let system = try ActorSystem.forTesting()
        let inner = try SupervisorSpec(children: [worker("first"), worker("temporary", restart: .temporary), worker("last")])
        try await system.start(.supervisor("top", SupervisorSpec(children: [.supervisor("sup", inner)])))
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system, under: "/root/top/")
        try system.worker("/root/top/sup/temporary").trySend(.fail)
        try await lifecycle.expect(sequence: [.failed("/root/top/sup/temporary"), .terminated("/root/top/sup/temporary")])
        #expect(system.lookup(ActorPath("/root/top/sup/temporary")!, as: WorkerMessage.self) == nil)

        #expect(system.injectFault(at: ActorPath("/root/top/sup")!))
        try await lifecycle.expect(sequence: [
            .stopped("/root/top/sup/last"), .stopped("/root/top/sup/first"), .failed("/root/top/sup"),
            .started("/root/top/sup/first"), .started("/root/top/sup/temporary"), .started("/root/top/sup/last"),
            .started("/root/top/sup"),
        ])
        #expect(try await system.worker("/root/top/sup/temporary").ask { .ping($0) } == 0, "a new actor")
        await system.shutdown()
    }

    /// An ordinary actor's spawned children leave when they end for good, whatever their
    /// type, as a `simple_one_for_one` supervisor's do: the name is free again at once.
    @Test func anActorsSpawnedChildLeavesWhenItEndsForGood() async throws {
        struct Parent: Behavior {
            mutating func receive(_ reply: ReplyTo<ActorRef<WorkerMessage>>, context: ActorContext<ReplyTo<ActorRef<WorkerMessage>>>) async throws {
                reply.reply(try context.spawn("child", mailbox: mailbox(4), restart: .transient) { Worker() })
            }
        }
        let system = try ActorSystem.forTesting()
        let parent = try await system.spawn("parent", mailbox: mailbox(8)) { Parent() }
        for _ in 0..<3 {
            let child = try await parent.ask { $0 }
            child.trySend(.stopSelf)
            _ = try await child.termination()
            try await eventually("the child left") { system.cell(at: parent.path)?.childrenSnapshot.isEmpty == true }
        }
        await system.shutdown()
    }

    // MARK: The intensity window

    /// OTP's `add_restart` keeps a restart exactly one period old: with one restart allowed
    /// in 5 s, failures at 0 s and 5 s make the supervisor give up; at 0 s and 5 s + 1 ns,
    /// they do not.
    @Test(arguments: [(Duration.seconds(5), true), (.seconds(5) + .nanoseconds(1), false)])
    func aRestartExactlyOnePeriodOldCounts(_ gap: Duration, givesUp: Bool) async throws {
        let clock = ManualClock()
        let system = try ActorSystem.forTesting(clock: clock)
        let spec = try SupervisorSpec(intensity: RestartIntensity(maxRestarts: 1, within: .seconds(5)), children: [worker("w")])
        try await system.start(.supervisor("sup", spec, restart: .transient))
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system, under: "/root/sup")
        try system.worker("/root/sup/w").trySend(.fail)
        try await lifecycle.expect(sequence: [.failed("/root/sup/w"), .started("/root/sup/w")])
        clock.advance(by: gap)
        try system.worker("/root/sup/w").trySend(.fail)
        if givesUp {
            try await lifecycle.expect(sequence: [
                .failed("/root/sup/w"), .stopped("/root/sup"), .terminated("/root/sup/w"), .terminated("/root/sup"),
            ])
        } else {
            try await lifecycle.expect(sequence: [.failed("/root/sup/w"), .started("/root/sup/w")])
            #expect(try await system.worker("/root/sup/w").ask { .ping($0) } == 2)
        }
        await system.shutdown()
    }
}
