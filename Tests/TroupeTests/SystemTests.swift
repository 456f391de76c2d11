import Testing
@testable import Troupe
import TroupeTesting

@Suite struct SystemTests {
    @Test func independentSystemsShareNothing() async throws {
        let first = try ActorSystem.forTesting(name: "first")
        let second = try ActorSystem.forTesting(name: "second")
        let a = try await first.spawn("counter", mailbox: mailbox(8)) { Counter() }
        let b = try await second.spawn("counter", mailbox: mailbox(8)) { Counter() }
        a.trySend(.add(5))
        b.trySend(.add(7))
        #expect(try await a.ask { .get($0) } == 5)
        #expect(try await b.ask { .get($0) } == 7)
        let report = await first.shutdown()
        #expect(report.completed && first.liveTaskCount == 0)
        #expect(a.trySend(.increment) == .stopped)
        #expect(try await b.ask { .get($0) } == 7, "the other system is untouched")
        await second.shutdown()
        #expect(second.liveTaskCount == 0)
    }

    @Test func treeListsEveryActorInTheProtocolFormat() async throws {
        let system = try ActorSystem.forTesting()
        let spec = try SupervisorSpec(children: [worker("a"), .supervisor("inner", SupervisorSpec(children: [worker("b")]))])
        try await system.start(.supervisor("services", spec))
        try system.worker("/root/services/a").trySend(.fail)
        try await eventually("a restarted") { (try? system.worker("/root/services/a").metrics.restarts) == 1 }
        try await eventually("a running") { (try? system.worker("/root/services/a").state) == .running }
        #expect(system.tree() == """
        /root mailbox=0/1 restarts=0 state=running
          /root/services mailbox=0/1 restarts=0 state=running
            /root/services/a mailbox=0/16 restarts=1 state=running
            /root/services/inner mailbox=0/1 restarts=0 state=running
              /root/services/inner/b mailbox=0/16 restarts=0 state=running
        """)
        await system.shutdown()
    }

    @Test func aFaultCanBeInjectedOnTheNthMessage() async throws {
        let system = try ActorSystem.forTesting()
        let counter = try await system.spawn("counter", mailbox: mailbox(8)) { Counter() }
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system)
        #expect(system.injectFault(at: counter.path, onMessage: 3))
        #expect(!system.injectFault(at: ActorPath("/root/nobody")!))
        counter.trySend(.add(1))
        counter.trySend(.add(2))
        counter.trySend(.add(4))  // fails: the fresh incarnation starts from zero
        try await lifecycle.expect(sequence: [.failed("/root/counter"), .started("/root/counter")])
        counter.trySend(.add(8))
        #expect(try await counter.ask { .get($0) } == 8)
        // Every message counts: the faulting one as processed, like one whose handler threw.
        // (Published at batch boundaries, hence the wait.)
        try await eventually("every message counted") { counter.metrics.processed == counter.metrics.enqueued }
        await system.shutdown()
    }

    @Test func spawningAfterShutdownFails() async throws {
        let system = try ActorSystem.forTesting()
        await system.shutdown()
        await #expect(throws: ActorSystemError.self) {
            _ = try await system.spawn("late", mailbox: mailbox(1)) { Counter() }
        }
    }

    /// After shutdown the system holds nothing: it, its actors and its clock's thread go as
    /// soon as the user lets go of it.
    @Test func aShutDownSystemIsFreedWithItsActors() async throws {
        weak var weakSystem: ActorSystem?
        weak var weakCell: CellBase?
        do {
            let system = try ActorSystem.forTesting()
            let ref = try await system.spawn("w", mailbox: mailbox(8)) { Worker() }
            #expect(try await ref.ask { .ping($0) } == 0)
            weakCell = ref.cell
            await system.shutdown()
            #expect(system.tree().isEmpty)
            #expect(system.lookup(ActorPath("/root/w")!, as: WorkerMessage.self) == nil)
            weakSystem = system
        }
        #expect(weakSystem == nil, "the system outlived its last reference")
        #expect(weakCell == nil, "an actor's cell outlived its system")
    }

    @Test func metricsCountMessagesAndSampleLatency() async throws {
        let system = try ActorSystem.forTesting()
        let counter = try await system.spawn("counter", mailbox: mailbox(1_000)) { Counter() }
        for _ in 0..<500 { counter.trySend(.increment) }
        #expect(try await counter.ask { .get($0) } == 500)
        let metrics = counter.metrics
        #expect(metrics.enqueued == 501)
        #expect(metrics.processed >= 500)
        #expect(metrics.handlingLatency.count >= 1)
        #expect(metrics.highWaterMark <= 501)
        #expect(system.allMetrics().map(\.path.description) == ["/root", "/root/counter"])
        await system.shutdown()
    }

    @Test func aFailingRootEndsTheSystem() async throws {
        let root = try SupervisorSpec(intensity: RestartIntensity(maxRestarts: 0, within: .seconds(1)), children: [])
        let system = try ActorSystem.forTesting(rootSupervisor: root)
        let counter = try await system.spawn("counter", mailbox: mailbox(8)) { Counter() }
        counter.trySend(.fail)
        guard case .escalated(let child, _) = await system.terminated() else {
            Issue.record("the root should fail by escalation")
            return
        }
        #expect(child == counter.path)
        #expect(counter.state == .terminated)
        let report = await system.shutdown()
        #expect(report.completed && system.liveTaskCount == 0)
    }

    @Test func shutdownFromInsideAnActorOnlyStartsIt() async throws {
        struct Quitter: Behavior {
            func receive(_ message: ReplyTo<ShutdownReport>, context: ActorContext<ReplyTo<ShutdownReport>>) async throws {
                message.reply(await context.system.shutdown())
            }
        }
        let system = try ActorSystem.forTesting()
        let quitter = try await system.spawn("quitter", mailbox: mailbox(1)) { Quitter() }
        let report = try await quitter.ask { $0 }
        #expect(!report.completed, "an actor cannot wait for its own end")
        _ = await system.terminated()
        let final = await system.shutdown()
        #expect(final.completed && system.liveTaskCount == 0)
    }

    @Test func lookupChecksTheMessageType() async throws {
        let system = try ActorSystem.forTesting()
        let counter = try await system.spawn("counter", mailbox: mailbox(8)) { Counter() }
        #expect(system.lookup(counter.path, as: CounterMessage.self) == counter)
        #expect(system.lookup(counter.path, as: WorkerMessage.self) == nil)
        #expect(system.lookup(ActorPath("/root/none")!, as: CounterMessage.self) == nil)
        await system.shutdown()
    }

    @Test func deadLettersAreCountedAndObserved() async throws {
        let system = try ActorSystem.forTesting()
        let letters = TestProbe<DeadLetter>.deadLetters(of: system)
        let counter = try await system.spawn("counter", mailbox: mailbox(8), restart: .temporary) { Counter() }
        await system.stop(childNamed: "counter")
        #expect(counter.trySend(.add(1)) == .stopped)
        let letter = try await letters.next()
        #expect(letter.reason == .actorStopped && letter.recipient == counter.path)
        #expect(system.deadLetters.count(.actorStopped) == 1)
        await system.shutdown()
    }
}
