import Testing
import Troupe
import TroupeTesting

/// `ActorContext.keepAlive(_:)`: a pinned keyed actor is neither passivated nor evicted.
@Suite struct KeyedPinningTests {
    enum LinkMessage: Sendable {
        /// Pins or unpins; replies with what `keepAlive` returned.
        case pin(Bool, ReplyTo<Bool>)
        /// Pins now and unpins after `delay`, by a timer: no sender's message at the unpin.
        case pinFor(Duration, ReplyTo<Bool>)
        /// The timer's message.
        case unpin
        case note(Int)
        case notes(ReplyTo<[Int]>)
        case fail
    }

    /// A per-user session that pins itself while it holds live connections.
    struct Link: Behavior {
        let key: String
        let log: TestProbe<String>?
        var notes: [Int] = []

        mutating func started(context: ActorContext<LinkMessage>) async throws {
            log?.record("start \(key)")
        }

        mutating func receive(_ message: LinkMessage, context: ActorContext<LinkMessage>) async throws {
            switch message {
            case .pin(let on, let reply):
                reply.reply(context.keepAlive(on))
            case .pinFor(let delay, let reply):
                context.startTimer("unpin", after: delay, message: .unpin)
                reply.reply(context.keepAlive(true))
            case .unpin:
                context.keepAlive(false)
            case .note(let value):
                notes.append(value)
                log?.record("\(key) \(value)")
            case .notes(let reply):
                reply.reply(notes)
            case .fail:
                throw TestFailure("link \(key) failed")
            }
        }

        mutating func stopping(context: ActorContext<LinkMessage>) async {
            log?.record("stop \(key)")
        }
    }

    private func links(maxLive: Int, idle: Duration? = nil, log: TestProbe<String>? = nil) throws -> KeyedActors<String, LinkMessage> {
        try KeyedActors(options: KeyedOptions(maxLive: maxLive, idleTimeout: idle, mailbox: mailbox(16))) { key in
            Link(key: key, log: log)
        }
    }

    /// Pinned, the actor outlives its idle timeout ten times over; unpinned, it is passivated
    /// one idle timeout after the unpin (not after its last message, long past by then).
    @Test func aPinnedActorIsNotPassivatedUntilAnIdleTimeoutAfterItUnpins() async throws {
        let clock = ManualClock()
        let system = try ActorSystem.forTesting(clock: clock)
        let log = TestProbe<String>()
        let keyed = try links(maxLive: 10, idle: .seconds(60), log: log)
        try await system.start(keyed, name: "links")

        await keyed.send(.note(1), to: "a")
        #expect(try await keyed.ask("a") { .pinFor(.seconds(600), $0) } == true)
        #expect(keyed.metrics.pinned == 1)
        for _ in 0..<9 { clock.advance(by: .seconds(60)) }
        #expect(keyed.metrics.passivated == 0)
        #expect(keyed.metrics.live == 1)

        clock.advance(by: .seconds(60))  // the unpin timer fires
        try await eventually("a unpinned") { keyed.metrics.pinned == 0 }
        clock.advance(by: .seconds(59))
        #expect(keyed.metrics.passivated == 0, "idle time counts from the unpin")
        clock.advance(by: .seconds(1))
        #expect(keyed.metrics.passivated == 1)
        try await log.expect(sequence: ["start a", "a 1", "stop a"])
        try await eventually("a passivated") { keyed.metrics.live == 0 }
        await system.shutdown()
        #expect(system.liveTaskCount == 0)
    }

    /// With every slot held by a pinned actor, a new key gets `.full` (trySend) or waits
    /// (send), and nothing is evicted, until one actor unpins: then it gives its slot.
    @Test func pinnedActorsAreNeverEvictedAndANewKeyWaitsUntilOneUnpins() async throws {
        let system = try ActorSystem.forTesting()
        let log = TestProbe<String>()
        let keyed = try links(maxLive: 2, log: log)
        try await system.start(keyed, name: "links")
        #expect(try await keyed.ask("a") { .pin(true, $0) } == true)
        #expect(try await keyed.ask("b") { .pin(true, $0) } == true)
        try await log.expect(sequence: ["start a", "start b"])
        #expect(keyed.metrics.pinned == 2)

        #expect(keyed.trySend(.note(1), to: "c") == .full)
        let waiting = Task { await keyed.send(.note(2), to: "c") }
        try await eventually("c's sender waits for a slot") { keyed.metrics.waitingSenders == 1 }
        #expect(keyed.metrics.evicted == 0)
        #expect(keyed.metrics.live == 2)

        #expect(try await keyed.ask("a") { .pin(false, $0) } == false)
        #expect(await waiting.value == .enqueued)
        try await log.expect(sequence: ["stop a", "start c", "c 2"])
        let metrics = keyed.metrics
        #expect(metrics.evicted == 1)
        #expect(metrics.pinned == 1)
        #expect(metrics.liveHighWaterMark == 2)
        await system.shutdown()
        #expect(system.liveTaskCount == 0)
    }

    /// Eviction skips a pinned actor, though it is the least recently used one.
    @Test func evictionPicksTheLeastRecentlyUsedUnpinnedActor() async throws {
        let system = try ActorSystem.forTesting()
        let log = TestProbe<String>()
        let keyed = try links(maxLive: 2, log: log)
        try await system.start(keyed, name: "links")
        await keyed.send(.note(1), to: "a")
        #expect(try await keyed.ask("a") { .pin(true, $0) } == true)
        await keyed.send(.note(1), to: "b")
        try await log.expect(sequence: ["start a", "a 1", "start b", "b 1"])

        #expect(await keyed.send(.note(1), to: "c") == .enqueued)
        try await log.expect(sequence: ["stop b", "start c", "c 1"])
        #expect(try await keyed.ask("a") { .notes($0) } == [1], "a kept its state")
        #expect(keyed.metrics.evicted == 1)
        #expect(!log.allEvents.contains("stop a"))
        await system.shutdown()
    }

    /// A pin belongs to the incarnation: after a restart the actor is passivated as usual.
    @Test func aRestartClearsThePin() async throws {
        let clock = ManualClock()
        let system = try ActorSystem.forTesting(clock: clock)
        let log = TestProbe<String>()
        let keyed = try links(maxLive: 10, idle: .seconds(60), log: log)
        try await system.start(keyed, name: "links")
        #expect(try await keyed.ask("a") { .pin(true, $0) } == true)
        await keyed.send(.fail, to: "a")
        #expect(try await keyed.ask("a") { .notes($0) } == [])
        try await log.expect(sequence: ["start a", "stop a", "start a"])
        #expect(keyed.metrics.pinned == 0)

        clock.advance(by: .seconds(60))
        #expect(keyed.metrics.passivated == 1)
        try await log.expect("stop a")
        await system.shutdown()
        #expect(system.liveTaskCount == 0)
    }

    /// For an actor that is not keyed, `keepAlive` does nothing and says so.
    @Test func keepAliveIsANoOpOutsideKeyedActors() async throws {
        let system = try ActorSystem.forTesting()
        let plain = try await system.spawn("plain", mailbox: mailbox(4)) { Link(key: "plain", log: nil) }
        #expect(try await plain.ask { .pin(true, $0) } == false)
        await system.shutdown()
    }
}
