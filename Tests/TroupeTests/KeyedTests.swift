import Synchronization
import Testing
import Troupe
import TroupeTesting

/// A counter shared by many actors.
final class SharedCount: Sendable {
    private let storage = Atomic(0)
    func increment() { storage.add(1, ordering: .relaxed) }
    var value: Int { storage.load(ordering: .relaxed) }
}

@Suite struct KeyedTests {
    enum SessionMessage: Sendable {
        case note(Int)
        case notes(ReplyTo<[Int]>)
        case block(Latch)
        case fail
    }

    /// Per-key state: the notes it received (lost on passivation, by design).
    struct Session: Behavior {
        let key: String
        let log: TestProbe<String>?
        var notes: [Int] = []

        mutating func started(context: ActorContext<SessionMessage>) async throws {
            log?.record("start \(key)")
        }

        mutating func receive(_ message: SessionMessage, context: ActorContext<SessionMessage>) async throws {
            switch message {
            case .note(let value):
                notes.append(value)
                log?.record("\(key) \(value)")
            case .notes(let reply):
                reply.reply(notes)
            case .block(let latch):
                await latch.wait()
            case .fail:
                throw TestFailure("session \(key) failed")
            }
        }

        mutating func stopping(context: ActorContext<SessionMessage>) async {
            log?.record("stop \(key)")
        }
    }

    private func sessions(
        maxLive: Int, idle: Duration? = nil, capacity: Int = 64, log: TestProbe<String>? = nil
    ) throws -> KeyedActors<String, SessionMessage> {
        try KeyedActors(options: KeyedOptions(maxLive: maxLive, idleTimeout: idle, mailbox: mailbox(capacity))) { key in
            Session(key: key, log: log)
        }
    }

    /// `askIfLive` reaches an actor that exists and creates none: a key without an actor
    /// answers nil at once, and no slot is taken (a full set evicts nobody for it).
    @Test func askIfLiveReachesOnlyAnExistingActor() async throws {
        let system = try ActorSystem.forTesting()
        let keyed = try sessions(maxLive: 1)
        try await system.start(keyed, name: "sessions")
        await keyed.send(.note(1), to: "alice")
        let notes = try await keyed.askIfLive("alice") { .notes($0) }
        #expect(notes == [1])
        let none = try await keyed.askIfLive("bob") { .notes($0) }
        #expect(none == nil)
        #expect(keyed.metrics.spawned == 1)
        #expect(keyed.metrics.evicted == 0)
        await system.shutdown()
    }

    @Test func getOrSpawnRoutesEachKeyToItsOwnActor() async throws {
        let system = try ActorSystem.forTesting()
        let keyed = try sessions(maxLive: 10)
        try await system.start(keyed, name: "sessions")
        await keyed.send(.note(1), to: "alice")
        await keyed.send(.note(2), to: "bob")
        await keyed.send(.note(3), to: "alice")
        #expect(try await keyed.ask("alice") { .notes($0) } == [1, 3])
        #expect(try await keyed.ask("bob") { .notes($0) } == [2])
        #expect(keyed.metrics.live == 2)
        #expect(system.tree().contains("/root/sessions/alice mailbox=0/64 restarts=0 state=running"))
        await system.shutdown()
        #expect(system.liveTaskCount == 0)
    }

    @Test func idleActorsArePassivatedOnTheManualClockAndComeBackOnTheNextMessage() async throws {
        let clock = ManualClock()
        let system = try ActorSystem.forTesting(clock: clock)
        let log = TestProbe<String>()
        let keyed = try sessions(maxLive: 10, idle: .seconds(60), log: log)
        try await system.start(keyed, name: "sessions")

        await keyed.send(.note(1), to: "alice")
        try await log.expect(sequence: ["start alice", "alice 1"])
        try await clock.waitForTimers(count: 1)
        clock.advance(by: .seconds(59))
        #expect(keyed.metrics.live == 1, "not idle long enough")

        await keyed.send(.note(2), to: "alice")  // activity resets the idle time
        try await log.expect("alice 2")
        clock.advance(by: .seconds(59))
        #expect(keyed.metrics.live == 1)
        clock.advance(by: .seconds(1))
        try await log.expect("stop alice")
        try await eventually("alice passivated") { keyed.metrics.live == 0 }
        #expect(keyed.metrics.passivated == 1)

        // Transparently re-created, with fresh state.
        #expect(try await keyed.ask("alice") { .notes($0) } == [])
        try await log.expect("start alice")
        await system.shutdown()
    }

    @Test func oneHundredThousandKeysNeverExceedTheCapAndLoseNothing() async throws {
        let system = try ActorSystem.forTesting()
        let handled = SharedCount()
        struct Tally: Behavior {
            let handled: @Sendable () -> Void
            func receive(_ message: Int, context: ActorContext<Int>) async throws { handled() }
        }
        let cap = 100
        let keyed = try KeyedActors<Int, Int>(
            options: KeyedOptions(maxLive: cap, idleTimeout: nil, mailbox: mailbox(4))
        ) { _ in Tally { handled.increment() } }
        try await system.start(keyed, name: "tally")
        let keys = 100_000
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    for key in stride(from: worker, to: keys, by: 4) {
                        #expect(await keyed.send(key, to: key) == .enqueued)
                    }
                }
            }
        }
        try await eventually("every message handled", timeout: .seconds(60)) { handled.value == keys }
        let metrics = keyed.metrics
        #expect(metrics.liveHighWaterMark <= cap)
        #expect(metrics.cells <= cap)
        // A key whose new actor was evicted before its first message arrived gets a
        // successor that receives it: at least one actor per key, each message once.
        #expect(metrics.spawned >= keys)
        #expect(metrics.evicted >= keys - cap)
        #expect(system.deadLetters.total == 0)
        await system.shutdown()
        #expect(system.liveTaskCount == 0)
    }

    @Test func messagesToAnEvictedKeyAreNotLostAndKeepTheirOrder() async throws {
        let system = try ActorSystem.forTesting()
        let log = TestProbe<String>()
        let keyed = try sessions(maxLive: 1, log: log)
        try await system.start(keyed, name: "sessions")

        let latch = Latch()
        await keyed.send(.block(latch), to: "a")
        try await log.expect("start a")
        try await latch.waitForArrivals(1)
        await keyed.send(.note(1), to: "a")  // queued behind the blocked handler
        // At the cap: b's sender evicts a (which drains) and waits for its slot.
        let b = Task { await keyed.send(.note(1), to: "b") }
        try await eventually("b's sender waits for a slot") { keyed.metrics.waitingSenders == 1 }
        #expect(keyed.trySend(.note(9), to: "c") == .full, "trySend never waits for a slot")
        latch.open()
        #expect(await b.value == .enqueued)
        // a's next message waits for b's slot: b is retired (it is the least recently used).
        #expect(await keyed.send(.note(2), to: "a") == .enqueued)
        try await log.expect(sequence: ["a 1", "stop a", "start b", "b 1", "stop b", "start a", "a 2"])
        #expect(keyed.metrics.cells <= 1)
        #expect(keyed.metrics.liveHighWaterMark == 1)
        #expect(system.deadLetters.total == 1, "only the shed trySend to c")
        #expect(system.deadLetters.count(.mailboxFull) == 1)
        await system.shutdown()
    }

    /// A keyed ask's deadline covers its wait for a slot, though the mailbox policy lets
    /// senders wait for ever.
    @Test func aKeyedAsksDeadlineCoversItsWaitForASlot() async throws {
        let clock = ManualClock()
        let system = try ActorSystem.forTesting(clock: clock, askTimeout: .seconds(30))
        let keyed = try sessions(maxLive: 1)
        try await system.start(keyed, name: "sessions")
        let latch = Latch()
        await keyed.send(.block(latch), to: "a")
        try await latch.waitForArrivals(1)
        let asking = Task { () async -> AskError? in
            do throws(AskError) {
                _ = try await keyed.ask("b", timeout: .seconds(1)) { .notes($0) }
                return nil
            } catch {
                return error
            }
        }
        try await eventually("b's request waits for a slot") { keyed.metrics.waitingSenders == 1 }
        clock.advance(by: .seconds(1))
        guard case .timedOut(let after)? = await asking.value else {
            Issue.record("expected a timeout at the ask's deadline")
            return
        }
        #expect(after == .seconds(1))
        #expect(keyed.metrics.waitingSenders == 0)
        latch.open()
        #expect(try await keyed.ask("a") { .notes($0) } == [])
        await system.shutdown()
        #expect(system.liveTaskCount == 0)
    }

    /// One set of keyed actors has one place at a time: a second place fails its start with
    /// a typed error and leaves the first serving; once the first is gone, a new one takes over.
    @Test func aSecondPlaceForTheSameKeyedActorsIsATypedError() async throws {
        let system = try ActorSystem.forTesting()
        let keyed = try sessions(maxLive: 10)
        try await system.start(.supervisor("first", SupervisorSpec(children: [keyed.childSpec("sessions")]), restart: .temporary))
        await keyed.send(.note(1), to: "a")
        do {
            try await system.start(keyed, name: "second")
            Issue.record("a second place started")
        } catch {
            #expect("\(error)".contains("\(ConfigurationError.alreadyPlaced("/root/first/sessions"))"), "\(error)")
        }
        #expect(try await keyed.ask("a") { .notes($0) } == [1], "the first place still serves")
        #expect(await system.stop(childNamed: "first"))
        try await system.start(keyed, name: "second")
        await keyed.send(.note(2), to: "a")
        #expect(try await keyed.ask("a") { .notes($0) } == [2])
        #expect(system.tree().contains("/root/second/a "))
        await system.shutdown()
        #expect(system.liveTaskCount == 0)
    }

    /// A sender that may not wait (trySend) is refused at the cap, but its refusal retires
    /// the least recently used actor, so a retry finds room.
    @Test func aRefusedTrySendMakesRoomForItsRetry() async throws {
        let system = try ActorSystem.forTesting()
        let log = TestProbe<String>()
        let keyed = try sessions(maxLive: 1, log: log)
        try await system.start(keyed, name: "sessions")
        #expect(keyed.trySend(.note(1), to: "a") == .enqueued)
        try await log.expect(sequence: ["start a", "a 1"])
        #expect(keyed.trySend(.note(1), to: "b") == .full)
        try await log.expect("stop a")
        try await eventually("b finds room") { keyed.trySend(.note(2), to: "b") == .enqueued }
        try await log.expect(sequence: ["start b", "b 2"])
        #expect(keyed.metrics.evicted == 1)
        #expect(keyed.metrics.liveHighWaterMark == 1)
        await system.shutdown()
    }

    /// Once its supervisor is stopping, no actor is created for a key: a sender learns
    /// `stopped`, and every message that was accepted is handled or a dead letter.
    @Test func aStoppingSupervisorCreatesNoActorAndLosesNothingQuietly() async throws {
        let system = try ActorSystem.forTesting()
        let log = TestProbe<String>()
        let deadLetters = TestProbe<DeadLetter>.deadLetters(of: system)
        let keyed = try sessions(maxLive: 10, log: log)
        try await system.start(keyed, name: "sessions")
        let latch = Latch()
        await keyed.send(.block(latch), to: "a")
        try await latch.waitForArrivals(1)
        let shutdown = Task { await system.shutdown() }
        let accepted = SharedCount()
        try await eventually("senders are refused") {
            switch keyed.trySend(.note(accepted.value), to: "b") {
            case .enqueued:
                accepted.increment()
                return false
            case .stopped:
                return true
            default:
                return false
            }
        }
        #expect(await keyed.send(.note(-1), to: "c") == .stopped)
        latch.open()
        #expect(await shutdown.value.completed)
        let handled = log.allEvents.compactMap { $0.hasPrefix("b ") ? Int($0.dropFirst(2)) : nil }
        let discarded = deadLetters.allEvents.compactMap { letter -> Int? in
            // Refusals (a full mailbox, and the last try, refused as stopped) are not accepted.
            guard letter.recipient.name == "b", letter.reason == .actorStopped,
                  case .note(let value)? = letter.message as? SessionMessage, value < accepted.value else { return nil }
            return value
        }
        #expect((handled + discarded).sorted() == Array(0..<accepted.value), "each accepted message handled or a dead letter, once")
        #expect(system.liveTaskCount == 0)
    }

    /// An evicted actor that fails while it drains is restarted to finish its queue (then
    /// stops), so eviction still loses nothing.
    @Test func anEvictedActorThatFailsWhileDrainingStillHandlesItsQueue() async throws {
        let system = try ActorSystem.forTesting()
        let log = TestProbe<String>()
        let keyed = try sessions(maxLive: 1, log: log)
        try await system.start(keyed, name: "sessions")
        let latch = Latch()
        await keyed.send(.block(latch), to: "a")
        try await latch.waitForArrivals(1)
        await keyed.send(.fail, to: "a")
        await keyed.send(.note(1), to: "a")
        await keyed.send(.note(2), to: "a")
        let b = Task { await keyed.send(.note(1), to: "b") }  // evicts a, which drains
        try await eventually("b waits for a's slot") { keyed.metrics.waitingSenders == 1 }
        latch.open()
        #expect(await b.value == .enqueued)
        try await log.expect(sequence: ["start a", "stop a", "start a", "a 1", "a 2", "stop a", "start b", "b 1"])
        #expect(system.deadLetters.total == 0)
        #expect(keyed.metrics.liveHighWaterMark == 1)
        await system.shutdown()
    }

    @Test func aFailingKeyedActorRestartsAndKeepsItsQueuedMessages() async throws {
        let system = try ActorSystem.forTesting()
        let log = TestProbe<String>()
        let keyed = try sessions(maxLive: 10, log: log)
        try await system.start(keyed, name: "sessions")
        await keyed.send(.note(1), to: "a")
        try await log.expect(sequence: ["start a", "a 1"])
        await keyed.send(.fail, to: "a")
        await keyed.send(.note(2), to: "a")
        try await log.expect(sequence: ["stop a", "start a", "a 2"])
        #expect(try await keyed.ask("a") { .notes($0) } == [2])
        await system.shutdown()
    }

    @Test func invalidKeyedOptionsAreTypedErrors() {
        #expect(throws: ConfigurationError.notPositive(setting: "keyed maxLive", value: 0)) {
            try KeyedOptions(maxLive: 0, idleTimeout: nil, mailbox: mailbox(1))
        }
        #expect(throws: ConfigurationError.invalidDuration(setting: "keyed idle timeout", value: .zero)) {
            try KeyedOptions(maxLive: 1, idleTimeout: .zero, mailbox: mailbox(1))
        }
    }
}
