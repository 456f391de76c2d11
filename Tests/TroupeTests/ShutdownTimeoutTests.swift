import Synchronization
import Testing
@testable import Troupe
import TroupeTesting

/// A shutdown timeout bounds every stop: a child that ignores its stop and then its
/// cancellation for a timeout each is abandoned, so no supervisor, and no system shutdown,
/// waits for it without bound; and an abandoned actor never runs alongside its successor.
@Suite struct ShutdownTimeoutTests {
    /// Holds its handler until the latch opens, or blocks its thread at the gate; either way
    /// cancellation goes unnoticed. Can start background work that ignores it too.
    enum StuckMessage: Sendable {
        case hold(Latch)
        case blockThread(BlockingGate)
        case runIgnoringCancellation(Latch)
        case ping(ReplyTo<Int>)
    }

    struct Stuck: Behavior {
        /// Spawned in `started`: a healthy child, to see what happens to the subtree.
        var spawnsChild = false

        func started(context: ActorContext<StuckMessage>) async throws {
            if spawnsChild { _ = try context.spawn("child", mailbox: mailbox(4)) { Recorder() } }
        }

        func receive(_ message: StuckMessage, context: ActorContext<StuckMessage>) async throws {
            switch message {
            case .hold(let latch): await latch.wait()
            case .blockThread(let gate): gate.block()
            case .runIgnoringCancellation(let latch): context.run { await latch.wait() }
            case .ping(let reply): reply.reply(context.restartCount)
            }
        }
    }

    static let oneSecond = try! ShutdownPolicy.graceful(timeout: .seconds(1))

    /// Advances the clock through a stop's two timeouts of 1 s (graceful, then cancelled),
    /// each once its timer is set. Waits for the deadline itself, not a timer count: other
    /// stops in the same routine set timers of their own (5 s) that come and go.
    private func runOutTwoTimeouts(_ clock: ManualClock) async throws {
        for _ in 0..<2 {
            let due = clock.now.advanced(by: .seconds(1))
            try await eventually("a timer due at \(due)") { clock.scheduledDeadlines.contains(due) }
            clock.advance(by: .seconds(1))
        }
    }

    enum Hold: String, CaseIterable, Sendable { case suspended, blockingAThread }

    /// SIGTERM's path: `system.shutdown` returns once the tree has stopped, which a stuck
    /// child delays by its two timeouts, not by the shutdown's own (60 s here). The report
    /// counts the abandoned task; a handler blocking its thread is abandoned as well.
    @Test(arguments: Hold.allCases)
    func theSystemShutdownReturnsAfterTheChildsBound(_ hold: Hold) async throws {
        let clock = ManualClock()
        let system = try ActorSystem.forTesting(clock: clock, logLevel: nil)
        let stuck = ChildRef<StuckMessage>()
        try await system.start(.supervisor("sup", SupervisorSpec(children: [
            worker("before"), stuck.childSpec("stuck", mailbox: mailbox(8), shutdown: Self.oneSecond) { Stuck() }, worker("after"),
        ])))
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system, under: "/root/sup/")
        let latch = Latch()
        let gate = BlockingGate()
        switch hold {
        case .suspended:
            stuck.trySend(.hold(latch))
            try await latch.waitForArrivals(1)
        case .blockingAThread:
            stuck.trySend(.blockThread(gate))
            try await gate.waitForArrivals(1)
        }
        let shutdown = Task { await system.shutdown(timeout: .seconds(60)) }
        try await runOutTwoTimeouts(clock)
        let report = await shutdown.value
        #expect(clock.now == ClockInstant.zero.advanced(by: .seconds(2)), "returned at the child's bound")
        #expect(!report.completed && report.remainingTasks == 1 && report.abandonedTasks == 1)
        try await lifecycle.expect(sequence: [
            .stopped("/root/sup/after"), .failed("/root/sup/stuck"), .terminated("/root/sup/stuck"), .stopped("/root/sup/before"),
        ])

        latch.open()
        gate.open()
        try await eventually("the abandoned task ended") { system.liveTaskCount == 0 }
        #expect(system.abandonedTaskCount == 0 && system.abandonedTasksTotal == 1)
        let final = await system.shutdown()
        #expect(final.completed, "the threads stop once the abandoned task is gone")
    }

    /// A group restart that has to stop a stuck sibling abandons it and starts a new actor
    /// in its place: the old cell never runs again (its task is still inside its handler),
    /// a `ChildRef` follows the new one, the old ref is stopped.
    @Test func aRestartAfterAnAbandonmentStartsANewActorNeverTheOldOne() async throws {
        let clock = ManualClock()
        let system = try ActorSystem.forTesting(clock: clock, logLevel: nil)
        let stuck = ChildRef<StuckMessage>()
        try await system.start(.supervisor("sup", SupervisorSpec(strategy: .oneForAll, children: [
            worker("a"), stuck.childSpec("stuck", mailbox: mailbox(8), shutdown: Self.oneSecond) { Stuck() },
        ])))
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system, under: "/root/sup/")
        let oldRef = try #require(stuck.ref)
        let oldCell = try #require(system.cell(at: oldRef.path))
        let latch = Latch()
        stuck.trySend(.hold(latch))
        try await latch.waitForArrivals(1)

        try system.worker("/root/sup/a").trySend(.fail)
        try await runOutTwoTimeouts(clock)
        try await lifecycle.expect(sequence: [
            .failed("/root/sup/a"), .failed("/root/sup/stuck"), .terminated("/root/sup/stuck"),
            .started("/root/sup/a"), .started("/root/sup/stuck"),
        ])
        let newRef = try #require(stuck.ref)
        #expect(newRef != oldRef, "a new actor at the same path")
        #expect(try await stuck.ask { .ping($0) } == 0, "its first incarnation")
        #expect(oldRef.trySend(.hold(Latch())) == .stopped)
        #expect(oldCell.currentIncarnation == 1, "the old cell was never started again")
        #expect(system.cell(at: oldRef.path) !== oldCell)
        #expect(system.abandonedTaskCount == 1)

        latch.open()
        try await eventually("the abandoned task ended") { system.abandonedTaskCount == 0 }
        #expect(oldCell.currentIncarnation == 1)
        try lifecycle.expectNoPendingEvents()
        #expect(try await stuck.ask { .ping($0) } == 0, "the new actor is untouched by the old one's end")
        #expect(await system.shutdown().completed)
    }

    /// A supervisor restarted while its static child is stuck: the child is abandoned while
    /// the supervisor's incarnation ends, and the supervisor's next incarnation makes it anew.
    @Test func aRestartedSupervisorMakesItsAbandonedChildAnew() async throws {
        let clock = ManualClock()
        let system = try ActorSystem.forTesting(clock: clock, logLevel: nil)
        let stuck = ChildRef<StuckMessage>()
        try await system.start(.supervisor("top", SupervisorSpec(children: [
            .supervisor("sup", SupervisorSpec(children: [stuck.childSpec("stuck", mailbox: mailbox(8), shutdown: Self.oneSecond) { Stuck() }])),
        ])))
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system, under: "/root/top/")
        let oldRef = try #require(stuck.ref)
        let latch = Latch()
        stuck.trySend(.hold(latch))
        try await latch.waitForArrivals(1)
        #expect(system.injectFault(at: ActorPath("/root/top/sup")!))
        try await runOutTwoTimeouts(clock)
        try await lifecycle.expect(sequence: [
            .failed("/root/top/sup/stuck"), .terminated("/root/top/sup/stuck"), .failed("/root/top/sup"),
            .started("/root/top/sup/stuck"), .started("/root/top/sup"),
        ])
        #expect(try #require(stuck.ref) != oldRef)
        #expect(try await stuck.ask { .ping($0) } == 0)
        latch.open()
        try await eventually("the abandoned task ended") { system.abandonedTaskCount == 0 }
        #expect(await system.shutdown().completed)
    }

    /// `terminateChild` of a stuck child returns after its bound; `restartChild` then starts
    /// a new actor, and the old task, when it ends at last, changes nothing.
    @Test func restartChildAfterAnAbandonmentStartsANewActor() async throws {
        let clock = ManualClock()
        let system = try ActorSystem.forTesting(clock: clock, logLevel: nil)
        let stuck = ChildRef<StuckMessage>()
        try await system.start(.supervisor("sup", SupervisorSpec(children: [
            stuck.childSpec("stuck", mailbox: mailbox(8), shutdown: Self.oneSecond) { Stuck() },
        ])))
        let supervisor = try #require(system.supervisor(at: ActorPath("/root/sup")!))
        let oldRef = try #require(stuck.ref)
        let latch = Latch()
        stuck.trySend(.hold(latch))
        try await latch.waitForArrivals(1)
        async let terminated: Void = supervisor.terminateChild("stuck")
        try await runOutTwoTimeouts(clock)
        try await terminated
        #expect(try await supervisor.whichChildren().map(\.status) == [.stopped])
        try await supervisor.restartChild("stuck")
        #expect(try #require(stuck.ref) != oldRef)
        #expect(try await stuck.ask { .ping($0) } == 0, "a new actor")
        latch.open()
        try await eventually("the abandoned task ended") { system.abandonedTaskCount == 0 }
        #expect(try await supervisor.whichChildren().map(\.status) == [.running])
        #expect(await system.shutdown().completed)
    }

    /// `context.stop(child)` does not wait, but its timeouts run all the same: cancelled after
    /// one, abandoned after the next, and the name is free again.
    @Test func aChildStoppedByItsParentActorIsAbandonedToo() async throws {
        enum ParentMessage: Sendable {
            case spawn(ReplyTo<ActorRef<StuckMessage>>)
            case stop(ActorRef<StuckMessage>)
        }
        struct Parent: Behavior {
            func receive(_ message: ParentMessage, context: ActorContext<ParentMessage>) async throws {
                switch message {
                case .spawn(let reply):
                    reply.reply(try context.spawn("child", mailbox: mailbox(4), shutdown: ShutdownTimeoutTests.oneSecond) { Stuck() })
                case .stop(let child):
                    context.stop(child)
                }
            }
        }
        let clock = ManualClock()
        let system = try ActorSystem.forTesting(clock: clock, logLevel: nil)
        let parent = try await system.spawn("parent", mailbox: mailbox(8)) { Parent() }
        let child = try await parent.ask { .spawn($0) }
        let latch = Latch()
        child.trySend(.hold(latch))
        try await latch.waitForArrivals(1)
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system, under: "/root/parent/")
        parent.trySend(.stop(child))
        try await runOutTwoTimeouts(clock)
        try await lifecycle.expect(sequence: [.failed("/root/parent/child"), .terminated("/root/parent/child")])
        #expect(system.abandonedTaskCount == 1)
        let second = try await parent.ask { .spawn($0) }
        #expect(try await second.ask { .ping($0) } == 0, "the name was free")
        latch.open()
        try await eventually("the abandoned task ended") { system.abandonedTaskCount == 0 }
        #expect(await system.shutdown().completed)
    }

    /// Abandoning an actor abandons its subtree: a healthy child, whose parent's task will
    /// not come back to stop it, gets its stop at once and ends; its end is counted, not
    /// reported.
    @Test func anAbandonedActorsChildrenAreAbandonedWithIt() async throws {
        let clock = ManualClock()
        let system = try ActorSystem.forTesting(clock: clock, logLevel: nil)
        let stuck = try await system.spawn("stuck", mailbox: mailbox(8), shutdown: Self.oneSecond) { Stuck(spawnsChild: true) }
        try await eventually("the child runs") { system.lookup(ActorPath("/root/stuck/child")!, as: RecorderMessage.self)?.state == .running }
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system, under: "/root/stuck")
        let latch = Latch()
        stuck.trySend(.hold(latch))
        try await latch.waitForArrivals(1)
        async let stopped = system.stop(childNamed: "stuck")
        try await runOutTwoTimeouts(clock)
        #expect(await stopped)
        try await lifecycle.expect(sequence: [
            .failed("/root/stuck"), .failed("/root/stuck/child"), .terminated("/root/stuck/child"), .terminated("/root/stuck"),
        ])
        #expect(system.abandonedTasksTotal == 2)
        try await eventually("the child's task ended on its stop") { system.abandonedTaskCount == 1 }
        latch.open()
        try await eventually("the parent's task ended") { system.abandonedTaskCount == 0 }
        try lifecycle.expectNoPendingEvents()
        #expect(await system.shutdown().completed)
    }

    /// Background work that ignores cancellation is abandoned after the actor's shutdown
    /// timeout: the incarnation ends, the work is counted until it ends.
    @Test func backgroundWorkThatIgnoresCancellationIsAbandoned() async throws {
        let clock = ManualClock()
        let system = try ActorSystem.forTesting(clock: clock, logLevel: nil)
        let actor = try await system.spawn("actor", mailbox: mailbox(8), shutdown: Self.oneSecond) { Stuck() }
        let latch = Latch()
        actor.trySend(.runIgnoringCancellation(latch))
        try await latch.waitForArrivals(1)
        let timers = clock.scheduledCount
        async let stopped = system.stop(childNamed: "actor")
        try await clock.waitForTimers(count: timers + 2)  // the stop's wait, the work's wait
        clock.advance(by: .seconds(1))
        #expect(await stopped)
        #expect(system.abandonedTaskCount == 1 && system.abandonedTasksTotal == 1)
        latch.open()
        try await eventually("the work ended") { system.abandonedTaskCount == 0 }
        #expect(await system.shutdown().completed)
    }
}
