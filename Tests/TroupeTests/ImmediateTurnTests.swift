import Glibc
import Testing
@testable import Troupe
import TroupeTesting

/// Immediate turns: a sender runs an idle actor's non-suspending handler on its own
/// thread. What must hold: one message at a time, mailbox order, declined messages reach
/// `receive` in order, failures and stops reach the supervisor, nesting stays bounded,
/// and the setting turns it off.
@Suite struct ImmediateTurnTests {

    enum TallyMessage: Sendable {
        case add(Int)
        /// Replies with the immediate-turn depth the handler ran at (0: the actor's task).
        case depth(ReplyTo<Int>)
        case total(ReplyTo<Int>)
        /// Blocks the handling thread at the gate (test only: a real thread, never the pool).
        case blockAt(BlockingGate)
        case fail
        case stop
        /// Sends `.add(value)` to the next actor, which may run it nested.
        case forward(ActorRef<TallyMessage>?, Int)
    }

    /// Handles everything at once, recording the order of `.add` values.
    struct Tally: SynchronousBehavior {
        var total = 0
        var order: TestProbe<Int>?

        mutating func receiveSynchronously(_ message: TallyMessage, context: ActorContext<TallyMessage>) throws {
            switch message {
            case .add(let value):
                total += value
                order?.record(value)
            case .depth(let reply): reply.reply(ImmediateTurns.depth)
            case .total(let reply): reply.reply(total)
            case .blockAt(let gate): gate.block()
            case .fail: throw TestFailure.boom
            case .stop: context.stop()
            case .forward(let next, let value):
                total += value
                order?.record(ImmediateTurns.depth)
                next?.trySend(.forward(nil, value))
            }
        }
    }

    enum TestFailure: Error { case boom }

    /// Handles even values at once and declines odd ones, which `receive` handles on the
    /// actor's task; both record into one probe, so the order shows whether a declined
    /// message was overtaken.
    struct HalfImmediate: Behavior {
        let order: TestProbe<Int>
        var handledByReceive = 0

        mutating func receiveImmediately(_ message: TallyMessage, context: ActorContext<TallyMessage>) throws -> Bool {
            guard case .add(let value) = message, value % 2 == 0 else { return false }
            order.record(value)
            return true
        }

        mutating func receive(_ message: TallyMessage, context: ActorContext<TallyMessage>) async throws {
            switch message {
            case .add(let value):
                #expect(ImmediateTurns.depth == 0, "a declined message runs on the actor's own task")
                handledByReceive += 1
                order.record(value)
            case .total(let reply): reply.reply(handledByReceive)
            default: break
            }
        }
    }

    private func events(_ probe: TestProbe<Int>, count: Int) async throws -> [Int] {
        var seen: [Int] = []
        for _ in 0..<count { seen.append(try await probe.next()) }
        return seen
    }

    private func system(depth: Int = 4) throws -> ActorSystem {
        ActorSystem(
            name: "turns",
            configuration: try .init(threads: 2, clock: ManualClock(), randomSeed: 7, logLevel: .error, immediateTurnDepth: depth)
        )
    }

    @Test func anAskToAnIdleActorRunsInATurnOnTheAskersThreadAndNeverSuspends() async throws {
        let system = try system()
        let tally = try await system.spawn("tally", mailbox: mailbox(8)) { Tally() }
        // Let the actor park first: a turn needs its task waiting for a message.
        try await eventually("the tally is idle") { tally.state == .running && tally.metrics.mailboxDepth == 0 }
        let depth: Int = try await tally.ask { .depth($0) }
        #expect(depth == 1)
        await system.shutdown()
    }

    @Test func withDepthZeroEveryMessageRunsOnTheActorsTask() async throws {
        let system = try system(depth: 0)
        let tally = try await system.spawn("tally", mailbox: mailbox(8)) { Tally() }
        try await eventually("the tally runs") { tally.state == .running }
        for _ in 0..<5 {
            let depth: Int = try await tally.ask { .depth($0) }
            #expect(depth == 0)
        }
        await system.shutdown()
    }

    @Test func theDepthSettingIsBounded() {
        #expect(throws: ConfigurationError.self) { try ActorSystem.Configuration(immediateTurnDepth: -1) }
        #expect(throws: ConfigurationError.self) {
            try ActorSystem.Configuration(immediateTurnDepth: ActorSystem.Configuration.maximumImmediateTurnDepth + 1)
        }
        #expect((try? ActorSystem.Configuration(immediateTurnDepth: ActorSystem.Configuration.maximumImmediateTurnDepth)) != nil)
    }

    /// A turn is held on a blocked thread while 200 messages arrive: they queue behind it
    /// (none runs alongside), and when the turn ends the task handles all of them, in order.
    @Test func messagesArrivingDuringATurnQueueBehindItAndKeepTheirOrder() async throws {
        let system = try system()
        let order = TestProbe<Int>(name: "order")
        let tally = try await system.spawn("tally", mailbox: mailbox(512)) { Tally(order: order) }
        try await eventually("the tally is idle") { tally.state == .running && tally.metrics.mailboxDepth == 0 }
        let gate = BlockingGate()
        let holder = RuntimeThread.start(name: "turn-holder") { tally.trySend(.blockAt(gate)) }
        try await gate.waitForArrivals(1)
        for value in 1...200 { #expect(tally.trySend(.add(value)) == .enqueued) }
        #expect(tally.metrics.mailboxDepth == 200, "nothing runs while the turn is held")
        gate.open()
        holder.join()
        let seen = try await events(order, count: 200)
        #expect(seen == Array(1...200))
        let total: Int = try await tally.ask { .total($0) }
        #expect(total == 200 * 201 / 2)
        await system.shutdown()
    }

    /// Messages that arrive while a turn runs are handled by the same turn, up to a batch,
    /// before the task would be woken: the thread holding the turn goes on with them.
    @Test func aTurnGoesOnWithMessagesThatArriveDuringItUpToABatch() async throws {
        let system = try system()
        let depths = TestProbe<Int>(name: "depths")
        let tally = try await system.spawn("tally", mailbox: mailbox(512, batch: 8)) { Tally(order: depths) }
        try await eventually("the tally is idle") { tally.state == .running && tally.metrics.mailboxDepth == 0 }
        let gate = BlockingGate()
        let holder = RuntimeThread.start(name: "turn-holder") { tally.trySend(.blockAt(gate)) }
        try await gate.waitForArrivals(1)
        for value in 1...20 { #expect(tally.trySend(.forward(nil, value)) == .enqueued) }
        gate.open()
        holder.join()
        let seen = try await events(depths, count: 20)
        // The turn had handled `blockAt`, so 7 more make its batch of 8; the task, woken
        // for the rest, runs them at depth 0.
        #expect(seen == Array(repeating: 1, count: 7) + Array(repeating: 0, count: 13))
        let total: Int = try await tally.ask { .total($0) }
        #expect(total == 20 * 21 / 2)
        await system.shutdown()
    }

    /// Many tasks asking and telling one actor at once: every message handled exactly once
    /// and the state (mutated by whichever thread holds the turn) never loses an update.
    @Test func manyConcurrentSendersLoseNothingAndNeverOverlap() async throws {
        let system = try system()
        let tally = try await system.spawn("tally", mailbox: mailbox(64)) { Tally() }
        try await eventually("the tally runs") { tally.state == .running }
        let senders = 16
        let each = 500
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<senders {
                group.addTask {
                    for index in 0..<each {
                        if index % 2 == 0 {
                            #expect(await tally.send(.add(1)) == .enqueued)
                        } else {
                            let _: Int = try await tally.ask { .total($0) }
                            #expect(await tally.send(.add(1)) == .enqueued)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let total: Int = try await tally.ask { .total($0) }
        #expect(total == senders * each)
        #expect(tally.metrics.processed >= senders * each)
        await system.shutdown()
    }

    /// Declined messages go back to the front and reach `receive` on the actor's task in
    /// order, interleaved correctly with the ones handled at once.
    @Test func declinedMessagesReachReceiveInOrder() async throws {
        let system = try system()
        let order = TestProbe<Int>(name: "order")
        let actor = try await system.spawn("half", mailbox: mailbox(64)) { HalfImmediate(order: order) }
        try await eventually("the actor runs") { actor.state == .running }
        for value in 0..<300 { #expect(await actor.send(.add(value)) == .enqueued) }
        let seen = try await events(order, count: 300)
        #expect(seen == Array(0..<300))
        let declined: Int = try await actor.ask { .total($0) }
        #expect(declined == 150)
        await system.shutdown()
    }

    @Test func aFailureInATurnRestartsTheActorWithFreshState() async throws {
        let system = try system()
        let lifecycle = TestProbe.lifecycle(of: system)
        let tally = try await system.spawn("tally", mailbox: mailbox(8)) { Tally() }
        try await lifecycle.expect(.started("/root/tally"))
        try await eventually("the tally is idle") { tally.metrics.mailboxDepth == 0 && tally.state == .running }
        tally.trySend(.add(5))
        tally.trySend(.fail)
        try await lifecycle.expect(.failed("/root/tally"))
        try await lifecycle.expect(.started("/root/tally"))
        let total: Int = try await tally.ask { .total($0) }
        #expect(total == 0, "the restarted incarnation starts from the factory")
        #expect(tally.metrics.restarts == 1)
        await system.shutdown()
    }

    @Test func aStopInATurnEndsTheActor() async throws {
        let system = try system()
        let lifecycle = TestProbe.lifecycle(of: system)
        let tally = try await system.spawn("tally", mailbox: mailbox(8), restart: .transient) { Tally() }
        try await lifecycle.expect(.started("/root/tally"))
        try await eventually("the tally runs") { tally.state == .running }
        tally.trySend(.stop)
        try await lifecycle.expect(.stopped("/root/tally"))
        try await lifecycle.expect(.terminated("/root/tally"))
        await system.shutdown()
    }

    /// An injected fault counts messages in the loop, so turns pause until it fires.
    @Test func anInjectedFaultCountsEveryMessage() async throws {
        let system = try system()
        let lifecycle = TestProbe.lifecycle(of: system)
        let tally = try await system.spawn("tally", mailbox: mailbox(8)) { Tally() }
        try await lifecycle.expect(.started("/root/tally"))
        #expect(system.injectFault(at: ActorPath("/root/tally")!, onMessage: 3))
        try await eventually("the tally is idle") { tally.metrics.mailboxDepth == 0 }
        for value in 1...3 { await tally.send(.add(value)) }
        try await lifecycle.expect(.failed("/root/tally"))
        await system.shutdown()
    }

    /// A chain of actors each forwarding to the next: turns nest up to the setting and no
    /// further, and every message still arrives.
    @Test func nestedTurnsStopAtTheConfiguredDepth() async throws {
        let system = try system(depth: 2)
        let depths = TestProbe<Int>(name: "depths")
        var chain: [ActorRef<TallyMessage>] = []
        for index in 0..<6 {
            chain.append(try await system.spawn("t\(index)", mailbox: mailbox(8)) { Tally(order: depths) })
        }
        try await eventually("the chain is idle") { [chain] in chain.allSatisfy { $0.state == .running && $0.metrics.mailboxDepth == 0 } }
        // Each link forwards once to the next; the last one forwards to nobody.
        for index in 0..<5 { chain[index].trySend(.forward(chain[index + 1], 1)) }
        let seen = try await events(depths, count: 10)
        #expect(seen.allSatisfy { $0 <= 2 })
        #expect(seen.contains(2), "a forward from inside a turn nests one deeper")
        await system.shutdown()
    }

    /// A token passed round a ring of immediate actors: with nesting bounded, the token
    /// goes round many times without growing the stack, and every hop is counted.
    @Test func aRingOfImmediateActorsPassesTheTokenWithoutEndlessRecursion() async throws {
        let system = try system()
        let done = Latch()
        let hops = 20_000
        var nodes: [ActorRef<RingMessage>] = []
        for index in 0..<10 {
            nodes.append(try await system.spawn("n\(index)", mailbox: mailbox(8)) { RingNode(done: done) })
        }
        for (index, node) in nodes.enumerated() { node.trySend(.next(nodes[(index + 1) % nodes.count])) }
        try await eventually("the ring is idle") { [nodes] in nodes.allSatisfy { $0.metrics.mailboxDepth == 0 } }
        nodes[0].trySend(.token(hops))
        await done.wait()
        // Every token (hops down to 0) and every `.next`, each counted once; the last turn
        // publishes its count just after the latch opens.
        try await eventually("every hop is counted") { [nodes] in
            nodes.map(\.metrics.processed).reduce(0, +) == hops + 1 + nodes.count
        }
        await system.shutdown()
    }

    enum RingMessage: Sendable {
        case next(ActorRef<RingMessage>)
        case token(Int)
    }

    struct RingNode: SynchronousBehavior {
        let done: Latch
        var next: ActorRef<RingMessage>?

        mutating func receiveSynchronously(_ message: RingMessage, context: ActorContext<RingMessage>) throws {
            switch message {
            case .next(let ref): next = ref
            case .token(let remaining):
                if remaining == 0 { done.open() } else { next?.trySend(.token(remaining - 1)) }
            }
        }
    }

    enum RelayMessage: Sendable {
        case askCounter(ActorRef<CounterMessage>, ReplyTo<Int>)
    }

    /// Asks the counter from its handler and passes the answer on.
    struct Relay: Behavior {
        mutating func receive(_ message: RelayMessage, context: ActorContext<RelayMessage>) async throws {
            guard case .askCounter(let counter, let reply) = message else { return }
            reply.reply(try await counter.ask { .get($0) })
        }
    }

    /// A handler's ask first offers its request to an immediate turn; an async-only target
    /// declines it and the request is delivered the ordinary way. It entered the mailbox
    /// once, and the metrics say so.
    @Test func aRequestATurnHandedBackIsCountedOnce() async throws {
        let system = try system()
        let counter = try await system.spawn("counter", mailbox: mailbox(8)) { Counter() }
        let relay = try await system.spawn("relay", mailbox: mailbox(8)) { Relay() }
        try await eventually("both idle") {
            counter.cell.lock.withLock { counter.cell.consumer != nil } && relay.cell.lock.withLock { relay.cell.consumer != nil }
        }
        #expect(try await relay.ask { .askCounter(counter, $0) } == 0)
        #expect(counter.cell.lock.withLock { counter.cell.immediateTurnsDeclined }, "the turn was offered and declined")
        #expect(counter.metrics.enqueued == 1)
        #expect(counter.metrics.processed == 1)
        await system.shutdown()
    }

    /// A behavior that only implements `receive` is offered one message at most: the
    /// default declines it and the actor is never offered another.
    @Test func anAsyncOnlyBehaviorIsOfferedAtMostOneMessage() async throws {
        let system = try system()
        let recorder = try await system.spawn("recorder", mailbox: mailbox(64)) { Recorder() }
        try await eventually("the recorder runs") { recorder.state == .running }
        for value in 0..<50 { await recorder.send(.record(value)) }
        let seen: [Int] = try await recorder.ask { .get($0) }
        #expect(seen == Array(0..<50))
        #expect(recorder.cell.lock.withLock { recorder.cell.immediateTurnsDeclined })
        await system.shutdown()
    }
}
