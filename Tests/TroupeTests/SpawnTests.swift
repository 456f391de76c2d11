import Testing
import Troupe
import TroupeTesting

/// Starting actors as a user sees it: the order of `started` events in a tree, and the
/// restart type an actor gets when none is given.
@Suite struct SpawnTests {
    enum ParentMessage: Sendable {
        case spawnChild(ReplyTo<ActorRef<WorkerMessage>>)
        case stopSelf
    }

    /// Spawns a child with `context.spawn`, giving no restart type.
    struct Parent: Behavior {
        mutating func receive(_ message: ParentMessage, context: ActorContext<ParentMessage>) async throws {
            switch message {
            case .spawnChild(let reply):
                reply.complete { try context.spawn("child", mailbox: mailbox(8)) { Worker() } }
            case .stopSelf:
                context.stop()
            }
        }
    }

    /// A supervisor has started when its whole subtree has: its own `started` event comes
    /// after its children's, which start left to right, each subtree before the next child.
    /// A restart of the supervisor starts them in the same order.
    @Test func aSupervisorStartedEventComesAfterItsChildren() async throws {
        let system = try ActorSystem.forTesting()
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system, under: "/root/shop")
        let orders = try SupervisorSpec(children: [try worker("a"), try worker("b")])
        let shop = try SupervisorSpec(children: [try worker("front"), try .supervisor("orders", orders), try worker("audit")])
        try await system.start(.supervisor("shop", shop))
        let started: [Lifecycle] = [
            .started("/root/shop/front"),
            .started("/root/shop/orders/a"), .started("/root/shop/orders/b"), .started("/root/shop/orders"),
            .started("/root/shop/audit"),
            .started("/root/shop"),
        ]
        try await lifecycle.expect(sequence: started)
        system.injectFault(at: ActorPath("/root/shop")!)  // the supervisor fails; the root restarts it
        try await lifecycle.skip(until: "the supervisor failed") { $0 == .failed("/root/shop") }
        try await lifecycle.expect(sequence: started)
        await system.shutdown()
    }

    /// `system.spawn` and `context.spawn` give the same default, permanent (as `ChildSpec`
    /// does): an actor that stops itself normally is started again.
    @Test func anActorSpawnedWithoutARestartTypeIsPermanentWhoeverSpawnedIt() async throws {
        let system = try ActorSystem.forTesting()
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system)
        let parent = try await system.spawn("parent", mailbox: mailbox(8)) { Parent() }
        try await lifecycle.expect(.started("/root/parent"))
        let child = try await parent.ask { .spawnChild($0) }
        try await lifecycle.expect(.started("/root/parent/child"))
        child.trySend(.stopSelf)
        try await lifecycle.expect(sequence: [.stopped("/root/parent/child"), .started("/root/parent/child")])
        #expect(try await child.ask { .ping($0) } == 1, "the same ref reaches the restarted child")
        parent.trySend(.stopSelf)
        try await lifecycle.skip(until: "the parent stopped") { $0 == .stopped("/root/parent") }
        try await lifecycle.expect(.started("/root/parent"))
        #expect(parent.metrics.restarts == 1)
        await system.shutdown()
    }

    /// Children are listed in start order (`TREE`, metrics) after some left the tree and
    /// others came: the parent's child list does not keep an order of its own (a removal
    /// moves its last entry into the hole), so the listing sorts by start sequence.
    @Test func theTreeListsChildrenInStartOrderAfterSomeLeft() async throws {
        let system = try ActorSystem.forTesting()
        for name in ["a", "b", "c", "d"] {
            _ = try await system.spawn(name, mailbox: mailbox(8)) { Worker() }
        }
        await system.stop(childNamed: "b")
        _ = try await system.spawn("e", mailbox: mailbox(8)) { Worker() }
        await system.stop(childNamed: "a")
        _ = try await system.spawn("b", mailbox: mailbox(8)) { Worker() }
        let children = system.tree().split(separator: "\n")
            .filter { $0.hasPrefix("  /root/") && !$0.hasPrefix("   ") }
            .map { String($0.dropFirst(2).prefix { $0 != " " }) }
        #expect(children == ["/root/c", "/root/d", "/root/e", "/root/b"])
        #expect(system.allMetrics().map(\.path.description).filter { $0.split(separator: "/").count == 2 }
            == ["/root/c", "/root/d", "/root/e", "/root/b"])
        await system.shutdown()
    }
}
