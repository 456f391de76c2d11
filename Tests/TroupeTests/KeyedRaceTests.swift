import Glibc
import Synchronization
import Testing
@testable import Troupe
import TroupeTesting

/// Races between a keyed registry's decisions, made under its lock, and their effects
/// (launching an incarnation, enqueuing a stop, handing over a slot), performed after it is
/// released. A test hook holds the deciding thread, a real one, between the two.
@Suite struct KeyedRaceTests {
    enum Note: Sendable {
        case note(Int)
    }

    struct Recorder: Behavior {
        let key: String
        let log: TestProbe<String>

        func started(context: ActorContext<Note>) async throws {
            log.record("start \(key)")
        }

        func receive(_ message: Note, context: ActorContext<Note>) async throws {
            guard case .note(let value) = message else { return }
            log.record("\(key) \(value)")
        }

        func stopping(context: ActorContext<Note>) async {
            log.record("stop \(key)")
        }
    }

    private func recorders(maxLive: Int, log: TestProbe<String>) throws -> KeyedActors<String, Note> {
        try KeyedActors(options: KeyedOptions(maxLive: maxLive, idleTimeout: nil, mailbox: mailbox(16))) { key in
            Recorder(key: key, log: log)
        }
    }

    /// Holds, at `gate`, every thread about to launch the actor for `key`, until the gate opens.
    private func holdLaunches(of key: String, in keyed: KeyedActors<String, Note>, at gate: BlockingGate) {
        keyed.registry.onEffects { effects in
            for case .launch(let cell) in effects where cell.path.name == key { gate.block() }
        }
    }

    /// A sender's lookup decided to launch a new key's actor, and the supervisor stops
    /// before the launch is performed. The stop must wait for that launch (reading the
    /// actor's end before it would wait on a completion the launch replaces, for ever), then
    /// stop the actor: one incarnation, started and stopped once, nothing left running.
    @Test func aStopWaitsForALaunchASenderDecidedBeforeIt() async throws {
        let system = try ActorSystem.forTesting()
        let log = TestProbe<String>()
        let keyed = try recorders(maxLive: 4, log: log)
        try await system.start(keyed, name: "sessions")
        let gate = BlockingGate()
        holdLaunches(of: "late", in: keyed, at: gate)

        let looked = SharedCount()
        let sender = RuntimeThread.start(name: "sender") {
            _ = keyed.registry.lookup("late")
            looked.increment()
        }
        try await gate.waitForArrivals(1)
        let stopped = SharedCount()
        let stopping = Task {
            let found = await system.stop(childNamed: "sessions")
            stopped.increment()
            return found
        }
        try await eventually("the stop waits for the launch") { keyed.registry.isWaitingForLaunches }
        #expect(stopped.value == 0)
        gate.open()
        try await eventually("the stop ends") { stopped.value == 1 }
        #expect(await stopping.value)
        try await eventually("the sender's lookup returned") { looked.value == 1 }
        sender.join()
        try await log.expect(sequence: ["start late", "stop late"])
        #expect(log.pending.isEmpty, "one incarnation: \(log.pending)")
        #expect(await system.shutdown().completed)
        #expect(system.liveTaskCount == 0)
        #expect(!gate.timedOut)
    }

    /// An actor is evicted after its launch was decided and before it was performed: the
    /// drain stop lands first and waits in its system lane, so the actor starts, handles
    /// what was sent to it meanwhile, stops, and only then does the waiting sender's key get
    /// the slot.
    @Test func anActorEvictedBeforeItsLaunchDrainsThenHandsOverItsSlot() async throws {
        let system = try ActorSystem.forTesting()
        let log = TestProbe<String>()
        let keyed = try recorders(maxLive: 1, log: log)
        try await system.start(keyed, name: "sessions")
        let gate = BlockingGate()
        holdLaunches(of: "a", in: keyed, at: gate)

        let sender = RuntimeThread.start(name: "sender") { _ = keyed.registry.lookup("a") }
        try await gate.waitForArrivals(1)
        // Queued before the launch: the actor exists, in state `starting`.
        #expect(keyed.trySend(.note(1), to: "a") == .enqueued)
        // At the cap: evicts a (its stop is performed at once, before a's launch) and waits.
        let b = Task { await keyed.send(.note(1), to: "b") }
        try await eventually("b's sender waits for a's slot") { keyed.metrics.waitingSenders == 1 }
        #expect(keyed.metrics.evicted == 1)
        gate.open()
        #expect(await b.value == .enqueued)
        sender.join()
        try await log.expect(sequence: ["start a", "a 1", "stop a", "start b", "b 1"])
        #expect(keyed.metrics.liveHighWaterMark == 1)
        #expect(system.deadLetters.total == 0)
        #expect(await system.shutdown().completed)
        #expect(system.liveTaskCount == 0)
        #expect(!gate.timedOut)
    }

    /// A slot wait whose timer fires while it is being scheduled, before the waiter is
    /// registered (an `ActorClock` may fire a past deadline inside `schedule`), ends at
    /// once as timed out: no deadlock (the timer is never scheduled under the registry's
    /// lock) and no wait for a slot that the timeout should have ended.
    @Test func aSlotWaitWhoseTimerFiresInsideScheduleTimesOutAtOnce() async throws {
        let clock = EagerClock()
        let system = ActorSystem(
            name: "eager",
            configuration: try .init(threads: 2, clock: clock, randomSeed: 1, logLevel: .error)
        )
        let log = TestProbe<String>()
        let keyed = try recorders(maxLive: 1, log: log)
        try await system.start(keyed, name: "sessions")
        await keyed.send(.note(1), to: "a")
        try await log.expect(sequence: ["start a", "a 1"])
        #expect(await keyed.registry.waitForSlot(timeout: .zero) == .timedOut)
        #expect(keyed.metrics.waitingSenders == 0)
        #expect(clock.firedInsideSchedule.load(ordering: .relaxed) >= 1)
        await system.shutdown()
        #expect(system.liveTaskCount == 0)
    }

    /// A slot wait by a task already cancelled ends at once as cancelled and leaves no
    /// waiter behind.
    @Test func aCancelledTasksSlotWaitEndsAtOnce() async throws {
        let system = try ActorSystem.forTesting()
        let log = TestProbe<String>()
        let keyed = try recorders(maxLive: 1, log: log)
        try await system.start(keyed, name: "sessions")
        await keyed.send(.note(1), to: "a")
        let waiting = Task { () async -> SlotWaiter.Outcome in
            withUnsafeCurrentTask { $0?.cancel() }
            return await keyed.registry.waitForSlot(timeout: .seconds(1))
        }
        #expect(await waiting.value == .cancelled)
        #expect(keyed.metrics.waitingSenders == 0)
        await system.shutdown()
    }

    // MARK: Many threads

    struct Item: Sendable {
        let id: Int
        let key: Int
        let sender: Int
        let sequence: Int
        let fails: Bool
    }

    struct Worker: Behavior {
        let key: Int
        let ledger: Ledger

        func started(context: ActorContext<Item>) async throws {
            ledger.started(key)
        }

        func receive(_ item: Item, context: ActorContext<Item>) async throws {
            ledger.handled(item)
            if item.fails { throw TestFailure("item \(item.id) fails") }
        }

        func stopping(context: ActorContext<Item>) async {
            ledger.stopped(key)
        }
    }

    /// Rounds of: senders on real threads (`trySend`) and on tasks (`send`, which waits for
    /// slots and room) spread over three times more keys than slots, some messages failing
    /// their actor, idle sweeps driven by a thread advancing the clock, and the keyed
    /// supervisor stopped while all of that goes on. Every round: one incarnation per key
    /// at a time, each accepted message handled or dead-lettered exactly once, a sender's
    /// messages to a key handled in order, the stop ends, the cap holds.
    @Test func stoppingWhileManyThreadsSpawnEvictAndFailLosesNothingAndNeverOverlaps() async throws {
        let clock = ManualClock()
        let system = try ActorSystem.forTesting(clock: clock)
        let ledger = Ledger()
        system.deadLetters.addObserver { letter in
            if letter.reason == .actorStopped, let item = letter.message as? Item { ledger.deadLettered(item) }
        }
        let driving = SharedCount()
        let driver = RuntimeThread.start(name: "clock driver") {
            while driving.value == 0 {
                clock.advance(by: .milliseconds(1))
                // Paces the driver so the sweeps interleave with the senders; nothing waits on it.
                usleep(50)
            }
        }
        let maxLive = 4
        let keys = 12
        let threadSenders = 3
        let taskSenders = 2
        let perSender = 3_000
        for round in 0..<8 {
            let keyed = try KeyedActors<Int, Item>(
                options: KeyedOptions(
                    maxLive: maxLive, idleTimeout: .milliseconds(3), mailbox: mailbox(8),
                    intensity: RestartIntensity(maxRestarts: 1_000_000, within: .seconds(1))
                )
            ) { key in Worker(key: key, ledger: ledger) }
            let name = "keyed\(round)"
            try await system.start(keyed, name: name)
            let base = round * 1_000_000
            @Sendable func item(_ sender: Int, _ sequence: Int) -> Item {
                let key = (sender * 5 + sequence * 7 + sequence / 11) % keys
                return Item(
                    id: base + sender * perSender + sequence, key: key, sender: sender, sequence: sequence,
                    fails: sequence % 37 == 36
                )
            }
            let finished = SharedCount()
            var threads: [RuntimeThread] = []
            for sender in 0..<threadSenders {
                threads.append(RuntimeThread.start(name: "sender \(sender)") {
                    defer { finished.increment() }
                    for sequence in 0..<perSender {
                        let next = item(sender, sequence)
                        switch keyed.trySend(next, to: next.key) {
                        case .enqueued: ledger.accepted(next)
                        case .stopped: return
                        default: sched_yield()
                        }
                    }
                })
            }
            var tasks: [Task<Void, Never>] = []
            for sender in threadSenders..<(threadSenders + taskSenders) {
                tasks.append(Task {
                    defer { finished.increment() }
                    for sequence in 0..<perSender {
                        let next = item(sender, sequence)
                        switch await keyed.send(next, to: next.key) {
                        case .enqueued: ledger.accepted(next)
                        case .stopped: return
                        default: continue
                        }
                    }
                })
            }
            try await eventually("round \(round): messages flow") { ledger.acceptedCount(from: base) >= 500 }
            let stopped = SharedCount()
            let stop = Task {
                #expect(await system.stop(childNamed: name))
                stopped.increment()
            }
            try await eventually("round \(round): the stop ends") { stopped.value == 1 }
            await stop.value
            try await eventually("round \(round): senders end") { finished.value == threadSenders + taskSenders }
            for thread in threads { thread.join() }
            for task in tasks { await task.value }
            #expect(keyed.metrics.liveHighWaterMark <= maxLive)
            let report = ledger.report(from: base)
            #expect(report.overlaps.isEmpty, "round \(round): \(report.overlaps.prefix(5))")
            #expect(report.outOfOrder.isEmpty, "round \(round): \(report.outOfOrder.prefix(5))")
            #expect(report.unaccounted.isEmpty, "round \(round): \(report.unaccounted.count) accepted, neither handled nor dead letters")
            #expect(report.twice.isEmpty, "round \(round): \(report.twice.count) handled or dead-lettered twice")
            #expect(report.handledUnaccepted.isEmpty, "round \(round): \(report.handledUnaccepted.count) handled, never accepted")
            #expect(report.accepted >= 500)
        }
        driving.increment()
        driver.join()
        #expect(await system.shutdown().completed)
        #expect(system.liveTaskCount == 0)
    }
}

/// What the actors of the stress test saw, and what its senders were told.
// Unchecked Sendable: every mutable property is guarded by `lock` (the runtime's pthread
// lock: ThreadSanitizer does not model `Mutex` on Linux).
final class Ledger: @unchecked Sendable {
    struct Report {
        var accepted = 0
        var overlaps: [String] = []
        var outOfOrder: [String] = []
        var unaccounted: [Int] = []
        var twice: [Int] = []
        var handledUnaccepted: [Int] = []
    }

    private let lock = Lock()
    private var running: [Int: Int] = [:]
    private var overlaps: [String] = []
    private var acceptedIDs: Set<Int> = []
    private var endings: [Int: Int] = [:]
    private var handledIDs: Set<Int> = []
    /// The last sequence handled, by round, key and sender (one sender's messages to one
    /// key must be handled in the order sent).
    private var lastSequence: [Int: Int] = [:]
    private var outOfOrder: [String] = []

    func started(_ key: Int) {
        lock.withLock {
            running[key, default: 0] += 1
            if running[key]! > 1 { overlaps.append("key \(key): \(running[key]!) incarnations at once") }
        }
    }

    func stopped(_ key: Int) {
        lock.withLock { running[key, default: 0] -= 1 }
    }

    func accepted(_ item: KeyedRaceTests.Item) {
        _ = lock.withLock { acceptedIDs.insert(item.id) }
    }

    func handled(_ item: KeyedRaceTests.Item) {
        lock.withLock {
            endings[item.id, default: 0] += 1
            handledIDs.insert(item.id)
            let stream = (item.id / 1_000_000) * 1_000_000 + item.key * 1_000 + item.sender
            if let last = lastSequence[stream], last >= item.sequence {
                outOfOrder.append("id \(item.id), key \(item.key), sender \(item.sender): \(item.sequence) after \(last)")
            }
            lastSequence[stream] = item.sequence
        }
    }

    /// A message dropped as `actorStopped`: an accepted one discarded when its actor ended,
    /// or a refused send (not accepted, so not counted against anything).
    func deadLettered(_ item: KeyedRaceTests.Item) {
        lock.withLock { endings[item.id, default: 0] += 1 }
    }

    func acceptedCount(from base: Int) -> Int {
        lock.withLock { acceptedIDs.count { $0 >= base && $0 < base + 1_000_000 } }
    }

    /// The checks for the round whose ids start at `base` (overlaps and disorder since the
    /// last report).
    func report(from base: Int) -> Report {
        lock.withLock {
            let inRound = { (id: Int) in id >= base && id < base + 1_000_000 }
            var report = Report()
            // Each round reports its own (the round before has ended).
            swap(&report.overlaps, &overlaps)
            swap(&report.outOfOrder, &outOfOrder)
            for id in acceptedIDs where inRound(id) {
                report.accepted += 1
                switch endings[id, default: 0] {
                case 0: report.unaccounted.append(id)
                case 1: break
                default: report.twice.append(id)
                }
            }
            report.handledUnaccepted = handledIDs.filter { inRound($0) && !acceptedIDs.contains($0) }
            return report
        }
    }
}

/// A manual clock that fires a timer already due inside `schedule`, as the `ActorClock`
/// contract allows ("on any thread, after now has reached the deadline").
// Unchecked Sendable: immutable apart from the atomic counter.
final class EagerClock: ActorClock, @unchecked Sendable {
    let manual = ManualClock()
    let firedInsideSchedule = Atomic(0)

    var now: ClockInstant { manual.now }

    func schedule(_ timer: ClockTimer) {
        guard timer.deadline <= manual.now else { return manual.schedule(timer) }
        firedInsideSchedule.add(1, ordering: .relaxed)
        timer.fire()
    }

    func cancel(_ timer: ClockTimer) -> Bool {
        manual.cancel(timer)
    }
}
