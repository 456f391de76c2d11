import Synchronization
import Testing
@testable import Troupe
import TroupeTesting

/// OTP's supervisor administration (`start_child`, `terminate_child`, `restart_child`,
/// `delete_child`, `which_children`, `count_children`) through ``SupervisorRef``, with the
/// outcomes of OTP's own `supervisor_SUITE` (`child_adm`, `count_children`, ...), on the
/// root, on a supervisor placed with `system.start` and on one nested in a spec.
@Suite struct SupervisorAdministrationTests {
    static let supervisorPaths = ["/root", "/root/top", "/root/top/mid"]

    /// A system with supervisors at every path of ``supervisorPaths``, all without children
    /// but `mid` (a child of `top`).
    private func systemWithSupervisors(clock: ManualClock = ManualClock()) async throws -> ActorSystem {
        let system = try ActorSystem.forTesting(clock: clock)
        try await system.start(.supervisor("top", SupervisorSpec(children: [.supervisor("mid", SupervisorSpec(children: []))])))
        return system
    }

    private func child(_ path: ActorPath, _ status: SupervisorRef.Child.Status, restart: RestartType = .permanent) -> SupervisorRef.Child {
        SupervisorRef.Child(name: path.name, path: path, status: status, kind: .worker, restart: restart)
    }

    /// OTP's `child_adm`: start, already started, running children refuse restart and
    /// delete, terminate keeps the child (stopped, name taken: `already_present`), restart
    /// brings back the same actor, delete frees the name, unknown children are `not_found`.
    @Test(arguments: supervisorPaths)
    func childAdministrationAsInOTP(_ supervisorPath: String) async throws {
        let system = try await systemWithSupervisors()
        let supervisor = try #require(system.supervisor(at: ActorPath(supervisorPath)!))
        let others = try await supervisor.whichChildren().filter { $0.name != "w" }
        let spec = try worker("w")

        let path = try await supervisor.startChild(spec)
        #expect(path == ActorPath("\(supervisorPath)/w")!)
        await #expect(throws: SupervisorError.alreadyStarted(path)) { try await supervisor.startChild(spec) }
        #expect(try await supervisor.whichChildren() == others + [child(path, .running)])
        await #expect(throws: SupervisorError.running(path)) { try await supervisor.deleteChild("w") }
        await #expect(throws: SupervisorError.running(path)) { try await supervisor.restartChild("w") }

        let ref = try system.worker(path.description)
        try await supervisor.terminateChild("w")
        #expect(ref.state == .terminated)
        #expect(ref.trySend(.fail) == .stopped)
        #expect(try await supervisor.whichChildren() == others + [child(path, .stopped)])
        await #expect(throws: SupervisorError.alreadyPresent(path)) { try await supervisor.startChild(spec) }
        try await supervisor.terminateChild("w")  // a stopped child: nothing to do, no error

        try await supervisor.restartChild("w")
        #expect(try await ref.ask { .ping($0) } == 1, "the same actor, its second incarnation")
        #expect(try await supervisor.whichChildren() == others + [child(path, .running)])

        try await supervisor.terminateChild("w")
        try await supervisor.deleteChild("w")
        #expect(system.lookup(path, as: WorkerMessage.self) == nil)
        #expect(try await supervisor.whichChildren() == others)
        let notFound = SupervisorError.notFound(child: "w", supervisor: supervisor.path)
        await #expect(throws: notFound) { try await supervisor.deleteChild("w") }
        await #expect(throws: notFound) { try await supervisor.restartChild("w") }
        await #expect(throws: notFound) { try await supervisor.terminateChild("w") }
        try await supervisor.startChild(spec)  // the name is free
        #expect(try await system.worker(path.description).ask { .ping($0) } == 0, "a new actor")
        await system.shutdown()
    }

    /// OTP: a temporary child's spec is deleted as soon as it is terminated, so it cannot be
    /// restarted (`not_found`).
    @Test func aTerminatedTemporaryChildLeavesTheTree() async throws {
        let system = try await systemWithSupervisors()
        let supervisor = try #require(system.supervisor(at: ActorPath("/root/top/mid")!))
        try await supervisor.startChild(worker("t", restart: .temporary))
        try await supervisor.terminateChild("t")
        #expect(try await supervisor.whichChildren().isEmpty)
        await #expect(throws: SupervisorError.notFound(child: "t", supervisor: supervisor.path)) {
            try await supervisor.restartChild("t")
        }
        await system.shutdown()
    }

    /// OTP's `which_children` and `count_children`: each child's id, state (running,
    /// restarting, stopped), type and restart type, in start order; counts of specs, active
    /// children, supervisors and workers. A child waiting for a backoff is `restarting`:
    /// restart and delete refuse it, terminate cancels the pending restart.
    @Test func whichAndCountChildren() async throws {
        let clock = ManualClock()
        let system = try ActorSystem.forTesting(clock: clock)
        let spec = try SupervisorSpec(
            backoff: Backoff(initial: .seconds(1), maximum: .seconds(1), jitter: 0),
            children: [
                worker("a"), .supervisor("inner", SupervisorSpec(children: [worker("leaf")]), restart: .transient),
                worker("done", restart: .transient), worker("flaky"),
            ]
        )
        try await system.start(.supervisor("sup", spec))
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system, under: "/root/sup/")
        let supervisor = try #require(system.supervisor(at: ActorPath("/root/sup")!))

        try system.worker("/root/sup/done").trySend(.stopSelf)
        try await lifecycle.expect(sequence: [.stopped("/root/sup/done"), .terminated("/root/sup/done")])
        let timers = clock.scheduledCount
        try system.worker("/root/sup/flaky").trySend(.fail)
        try await clock.waitForTimers(count: timers + 1)  // the backoff: flaky waits for it

        let path = { (name: String) in ActorPath("/root/sup/\(name)")! }
        #expect(try await supervisor.whichChildren() == [
            child(path("a"), .running),
            SupervisorRef.Child(name: "inner", path: path("inner"), status: .running, kind: .supervisor, restart: .transient),
            child(path("done"), .stopped, restart: .transient),
            child(path("flaky"), .restarting),
        ])
        #expect(try await supervisor.countChildren() == SupervisorRef.ChildCounts(specs: 4, active: 2, supervisors: 1, workers: 3))
        await #expect(throws: SupervisorError.restarting(path("flaky"))) { try await supervisor.restartChild("flaky") }
        await #expect(throws: SupervisorError.restarting(path("flaky"))) { try await supervisor.deleteChild("flaky") }

        try await supervisor.terminateChild("flaky")
        clock.advance(by: .seconds(1))  // the backoff was cancelled: nothing restarts
        #expect(try await supervisor.whichChildren().last?.status == .stopped)
        #expect(try await supervisor.countChildren() == SupervisorRef.ChildCounts(specs: 4, active: 2, supervisors: 1, workers: 3))
        try await supervisor.restartChild("done")
        try await supervisor.restartChild("flaky")
        #expect(try await supervisor.countChildren().active == 4)
        let inner = try #require(system.supervisor(at: path("inner")))
        #expect(try await inner.countChildren() == SupervisorRef.ChildCounts(specs: 1, active: 1, supervisors: 0, workers: 1))
        await system.shutdown()
    }

    /// OTP: a child whose start fails is not added (`start_child` returns the error); one
    /// whose restart fails stays, stopped (`restart_child` returns the error).
    @Test func aFailedStartIsNotKeptAFailedRestartStaysStopped() async throws {
        let system = try await systemWithSupervisors()
        let supervisor = try #require(system.supervisor(at: ActorPath("/root/top")!))
        let path = ActorPath("/root/top/w")!
        let others = try await supervisor.whichChildren()
        await #expect(throws: SupervisorError.startFailed(path, TestFailure("start of w failed"))) {
            try await supervisor.startChild(worker("w", failStart: { true }))
        }
        #expect(try await supervisor.whichChildren() == others, "not kept")

        let failing = Atomic(false)
        try await supervisor.startChild(worker("w", failStart: { failing.load(ordering: .relaxed) }))
        try await supervisor.terminateChild("w")
        failing.store(true, ordering: .relaxed)
        await #expect(throws: SupervisorError.startFailed(path, TestFailure("start of w failed"))) {
            try await supervisor.restartChild("w")
        }
        #expect(try await supervisor.whichChildren() == others + [child(path, .stopped)])
        failing.store(false, ordering: .relaxed)
        try await supervisor.restartChild("w")
        #expect(try await supervisor.whichChildren() == others + [child(path, .running)])
        await system.shutdown()
    }

    /// Administration does not count towards the restart intensity: a supervisor that
    /// tolerates no restart at all lets a child be terminated and restarted at will.
    @Test func restartChildIsNotARestartOfTheIntensity() async throws {
        let system = try ActorSystem.forTesting()
        let spec = try SupervisorSpec(intensity: RestartIntensity(maxRestarts: 0, within: .seconds(60)), children: [worker("w")])
        try await system.start(.supervisor("sup", spec, restart: .transient))
        let supervisor = try #require(system.supervisor(at: ActorPath("/root/sup")!))
        for _ in 0..<3 {
            try await supervisor.terminateChild("w")
            try await supervisor.restartChild("w")
        }
        #expect(try await system.worker("/root/sup/w").ask { .ping($0) } == 3)
        #expect(system.metrics(at: supervisor.path)?.state == .running)
        await system.shutdown()
    }

    /// Only supervisors take requests: an ordinary actor manages its own children, and a
    /// supervisor that is gone answers `unavailable`.
    @Test func onlyALiveSupervisorTakesRequests() async throws {
        let system = try await systemWithSupervisors()
        _ = try await system.spawn("actor", mailbox: mailbox(4)) { Worker() }
        #expect(system.supervisor(at: ActorPath("/root/actor")!) == nil)
        #expect(system.supervisor(at: ActorPath("/root/nobody")!) == nil)
        let mid = try #require(system.supervisor(at: ActorPath("/root/top/mid")!))
        let top = try #require(system.supervisor(at: ActorPath("/root/top")!))
        try await top.terminateChild("mid")
        await #expect(throws: SupervisorError.unavailable(mid.path)) { try await mid.whichChildren() }
        try await top.deleteChild("mid")
        await #expect(throws: SupervisorError.unavailable(mid.path)) { try await mid.countChildren() }
        try await top.startChild(.supervisor("mid", SupervisorSpec(children: [])))
        #expect(try await mid.whichChildren().isEmpty, "a ref names a place: the new supervisor there answers")
        await system.shutdown()
        await #expect(throws: SupervisorError.unavailable(top.path)) { try await top.whichChildren() }
    }

    /// A request that reaches a supervisor together with a failure it does not survive is
    /// not lost: its next incarnation answers it.
    @Test func aRequestQueuedBehindAFailureIsAnsweredByTheNextIncarnation() async throws {
        let system = try ActorSystem.forTesting()
        try await system.start(.supervisor("sup", SupervisorSpec(children: [worker("a")])))
        let supervisor = try #require(system.supervisor(at: ActorPath("/root/sup")!))
        for _ in 0..<3 {
            #expect(system.injectFault(at: supervisor.path))
            #expect(try await supervisor.whichChildren().map(\.name) == ["a"])
        }
        await system.shutdown()
    }
}
