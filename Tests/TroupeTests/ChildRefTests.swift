import Testing
import Troupe
import TroupeTesting

/// `ChildRef`: a typed ref to a supervised child, made with its spec.
@Suite struct ChildRefTests {
    @Test func aChildRefReachesThePlacedActor() async throws {
        let system = try ActorSystem.forTesting()
        let counter = ChildRef<CounterMessage>()
        let spec = try counter.childSpec("counter", mailbox: mailbox(16)) { Counter() }
        try await system.start(.supervisor("shop", SupervisorSpec(children: [spec])))
        #expect(counter.trySend(.add(2)) == .enqueued)
        #expect(await counter.send(.add(3)) == .enqueued)
        #expect(try await counter.ask { .get($0) } == 5)
        #expect(counter.ref?.path == ActorPath("/root/shop/counter"))
        #expect(counter.ref == system.lookup(ActorPath("/root/shop/counter")!, as: CounterMessage.self))
        await system.shutdown()
        #expect(system.liveTaskCount == 0)
    }

    /// The ref names the cell, which survives restarts: after an injected fault the same
    /// `ChildRef` reaches the new incarnation (fresh state).
    @Test func aChildRefReachesTheNextIncarnationAfterARestart() async throws {
        let system = try ActorSystem.forTesting()
        let counter = ChildRef<CounterMessage>()
        try await system.start(.supervisor("shop", SupervisorSpec(children: [
            counter.childSpec("counter", mailbox: mailbox(16)) { Counter() },
        ])))
        await counter.send(.add(5))
        #expect(try await counter.ask { .get($0) } == 5)
        let before = try #require(counter.ref)

        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system, under: "/root/shop/")
        #expect(system.injectFault(at: before.path))
        counter.trySend(.increment)  // the faulty message
        try await lifecycle.expect(sequence: [.failed("/root/shop/counter"), .started("/root/shop/counter")])
        #expect(try await counter.ask { .get($0) } == 0, "fresh state")
        #expect(counter.ref == before)
        #expect(before.metrics.restarts == 1)
        await system.shutdown()
    }

    /// Before its spec is placed, a `ChildRef` refuses with a typed outcome, never a trap.
    @Test func beforePlacementAChildRefRefusesWithATypedOutcome() async throws {
        let counter = ChildRef<CounterMessage>()
        _ = try counter.childSpec("counter", mailbox: mailbox(16)) { Counter() }  // made, not placed
        #expect(counter.ref == nil)
        #expect(counter.trySend(.increment) == .stopped)
        #expect(await counter.send(.increment) == .stopped)
        do throws(AskError) {
            _ = try await counter.ask { .get($0) }
            Issue.record("an ask before placement got a reply")
        } catch {
            guard case .notPlaced(let what) = error else {
                Issue.record("expected notPlaced, got \(error)")
                return
            }
            #expect(what == "ChildRef<CounterMessage>")
            #expect("\(error)" == "ChildRef<CounterMessage> is not placed in a running tree yet")
        }
    }

    /// In a nested supervisor, the ref works, and still does after that supervisor (and so
    /// the child) was restarted by its parent.
    @Test func aChildRefInANestedSupervisorSurvivesTheSupervisorsRestart() async throws {
        let system = try ActorSystem.forTesting()
        let counter = ChildRef<CounterMessage>()
        let inner = try SupervisorSpec(children: [counter.childSpec("counter", mailbox: mailbox(16)) { Counter() }])
        try await system.start(.supervisor("outer", SupervisorSpec(children: [.supervisor("inner", inner)])))
        await counter.send(.add(7))
        #expect(try await counter.ask { .get($0) } == 7)
        #expect(counter.ref?.path == ActorPath("/root/outer/inner/counter"))

        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system, under: "/root/outer/")
        #expect(system.injectFault(at: ActorPath("/root/outer/inner")!))
        try await lifecycle.expect(sequence: [
            .stopped("/root/outer/inner/counter"), .failed("/root/outer/inner"),
            .started("/root/outer/inner/counter"), .started("/root/outer/inner"),
        ])
        #expect(try await counter.ask { .get($0) } == 0, "the restarted child, fresh state")
        await system.shutdown()
        #expect(system.liveTaskCount == 0)
    }

    /// `ref(at:as:)` tells a wrong message type from an absent actor, naming both types,
    /// where `lookup(_:as:)` answers nil for both.
    @Test func aTypedLookupTellsAWrongMessageTypeFromAnAbsentActor() async throws {
        let system = try ActorSystem.forTesting()
        let counter = ChildRef<CounterMessage>()
        let shop = try await system.start(.supervisor("shop", SupervisorSpec(children: [
            counter.childSpec("counter", mailbox: mailbox(16)) { Counter() },
        ])))
        let path = shop.appending("counter")
        #expect(try system.ref(at: path, as: CounterMessage.self) == counter.ref)
        #expect(throws: LookupError.wrongMessageType(path, expected: "WorkerMessage", actual: "CounterMessage")) {
            try system.ref(at: path, as: WorkerMessage.self)
        }
        #expect(system.lookup(path, as: WorkerMessage.self) == nil)
        #expect(throws: LookupError.notFound(shop.appending("till"))) {
            try system.ref(at: shop.appending("till"), as: CounterMessage.self)
        }
        #expect(throws: LookupError.wrongMessageType(shop, expected: "CounterMessage", actual: "Never")) {
            try system.ref(at: shop, as: CounterMessage.self)  // a supervisor takes no messages
        }
        #expect("\(LookupError.wrongMessageType(path, expected: "WorkerMessage", actual: "CounterMessage"))"
            == "the actor at /root/shop/counter takes CounterMessage, not WorkerMessage")
        await system.shutdown()
    }
}
