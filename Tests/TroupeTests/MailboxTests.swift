import Testing
@testable import Troupe
import TroupeTesting

@Suite struct MailboxTests {
    /// Spawns a recorder, parks it inside a handler and returns it with the latch.
    private func blockedRecorder(
        _ system: ActorSystem, capacity: Int, overflow: OverflowPolicy, restart: RestartType = .permanent
    ) async throws -> (ActorRef<RecorderMessage>, Latch) {
        let ref = try await system.spawn("recorder", mailbox: mailbox(capacity, overflow), restart: restart) { Recorder() }
        let latch = Latch()
        #expect(ref.trySend(.block(latch)) == .enqueued)
        try await latch.waitForArrivals(1)
        return (ref, latch)
    }

    @Test func failPolicyRejectsAtExactCapacity() async throws {
        let system = try ActorSystem.forTesting()
        let (ref, latch) = try await blockedRecorder(system, capacity: 4, overflow: .fail)
        for value in 1...4 { #expect(ref.trySend(.record(value)) == .enqueued) }
        #expect(ref.trySend(.record(5)) == .full)
        #expect(await ref.send(.record(6)) == .full)
        #expect(ref.metrics.mailboxDepth == 4)
        #expect(ref.metrics.highWaterMark == 4)
        #expect(ref.metrics.dropped == 2)
        #expect(system.deadLetters.count(.mailboxFull) == 2)
        latch.open()
        try await eventually("drained") { ref.metrics.mailboxDepth == 0 }
        #expect(try await ref.ask { .get($0) } == [1, 2, 3, 4])
        await system.shutdown()
    }

    @Test func dropNewestKeepsTheQueueAndDropsTheArrival() async throws {
        let system = try ActorSystem.forTesting()
        let deadLetters = TestProbe<DeadLetter>.deadLetters(of: system)
        let (ref, latch) = try await blockedRecorder(system, capacity: 3, overflow: .dropNewest)
        for value in 1...3 { #expect(ref.trySend(.record(value)) == .enqueued) }
        #expect(ref.trySend(.record(4)) == .dropped)
        #expect(await ref.send(.record(5)) == .dropped)
        let first = try await deadLetters.next()
        #expect(first.reason == .droppedNewest)
        #expect(first.recipient == ref.path)
        #expect((first.message as? RecorderMessage).map { if case .record(4) = $0 { true } else { false } } == true)
        #expect(system.deadLetters.count(.droppedNewest) == 2)
        latch.open()
        try await eventually("drained") { ref.metrics.mailboxDepth == 0 }
        #expect(try await ref.ask { .get($0) } == [1, 2, 3])
        await system.shutdown()
    }

    @Test func dropOldestEvictsTheFrontToMakeRoom() async throws {
        let system = try ActorSystem.forTesting()
        let (ref, latch) = try await blockedRecorder(system, capacity: 3, overflow: .dropOldest)
        for value in 1...5 { #expect(ref.trySend(.record(value)) == .enqueued) }
        #expect(ref.metrics.mailboxDepth == 3)
        #expect(ref.metrics.dropped == 2)
        #expect(system.deadLetters.count(.droppedOldest) == 2)
        latch.open()
        try await eventually("drained") { ref.metrics.mailboxDepth == 0 }
        #expect(try await ref.ask { .get($0) } == [3, 4, 5])
        await system.shutdown()
    }

    @Test func suspendedSendersResumeInArrivalOrder() async throws {
        let system = try ActorSystem.forTesting()
        let (ref, latch) = try await blockedRecorder(system, capacity: 2, overflow: .suspend())
        #expect(ref.trySend(.record(1)) == .enqueued)
        #expect(ref.trySend(.record(2)) == .enqueued)
        #expect(ref.trySend(.record(99)) == .full, "trySend never waits")
        let outcomes = TestProbe<SendOutcome>()
        var senders: [Task<Void, Never>] = []
        for value in 3...7 {
            senders.append(Task { outcomes.record(await ref.send(.record(value))) })
            // Line the senders up one by one, so arrival order is known.
            try await eventually("sender \(value) parked") { ref.metrics.suspendedSenders == value - 2 }
        }
        latch.open()
        for sender in senders { await sender.value }
        #expect(outcomes.allEvents == Array(repeating: .enqueued, count: 5))
        #expect(try await ref.ask { .get($0) } == [1, 2, 3, 4, 5, 6, 7])
        #expect(ref.metrics.highWaterMark == 2, "admission never exceeds the capacity")
        await system.shutdown()
    }

    @Test func suspendTimeoutExpiresOnTheManualClock() async throws {
        let clock = ManualClock()
        let system = try ActorSystem.forTesting(clock: clock)
        let (ref, latch) = try await blockedRecorder(system, capacity: 1, overflow: .suspend(timeout: .seconds(1)))
        #expect(ref.trySend(.record(1)) == .enqueued)
        let timers = clock.scheduledCount
        let sender = Task { await ref.send(.record(2)) }
        try await eventually("sender parked") { ref.metrics.suspendedSenders == 1 }
        try await clock.waitForTimers(count: timers + 1)
        clock.advance(by: .milliseconds(999))
        #expect(ref.metrics.suspendedSenders == 1, "not yet due")
        clock.advance(by: .milliseconds(1))
        #expect(await sender.value == .timedOut)
        #expect(system.deadLetters.count(.sendTimedOut) == 1)
        latch.open()
        #expect(try await ref.ask { .get($0) } == [1])
        await system.shutdown()
    }

    /// Senders that keep timing out at a stuck actor leave no records behind: the line of
    /// waiters is compacted once stale records outnumber live ones.
    @Test func sendersTimingOutAtAStuckActorDoNotGrowTheLine() async throws {
        let clock = ManualClock()
        let system = try ActorSystem.forTesting(clock: clock)
        let (ref, latch) = try await blockedRecorder(system, capacity: 1, overflow: .suspend(timeout: .seconds(1)))
        #expect(ref.trySend(.record(0)) == .enqueued)
        let waitingRecords = { ref.cell.lock.withLock { ref.cell.user.waiters.count } }
        for round in 1...20 {
            let senders = (0..<50).map { index in Task { await ref.send(.record(round * 100 + index)) } }
            try await eventually("round \(round) parked") { ref.metrics.suspendedSenders == 50 }
            clock.advance(by: .seconds(1))
            for sender in senders { #expect(await sender.value == .timedOut) }
            #expect(waitingRecords() <= 2 * ref.metrics.suspendedSenders + 32, "round \(round)")
        }
        #expect(system.deadLetters.count(.sendTimedOut) == 1000)
        latch.open()
        #expect(try await ref.ask { .get($0) } == [0])
        await system.shutdown()
    }

    @Test func cancellingAWaitingSenderReleasesIt() async throws {
        let system = try ActorSystem.forTesting()
        let (ref, latch) = try await blockedRecorder(system, capacity: 1, overflow: .suspend())
        #expect(ref.trySend(.record(1)) == .enqueued)
        let sender = Task { await ref.send(.record(2)) }
        try await eventually("sender parked") { ref.metrics.suspendedSenders == 1 }
        sender.cancel()
        #expect(await sender.value == .cancelled)
        #expect(system.deadLetters.count(.sendCancelled) == 1)
        #expect(ref.metrics.suspendedSenders == 0)
        latch.open()
        #expect(try await ref.ask { .get($0) } == [1])
        await system.shutdown()
    }

    @Test func stoppingAFullMailboxFailsEveryoneWaitingAtOnce() async throws {
        let system = try ActorSystem.forTesting()
        let ref = try await system.spawn("full", mailbox: mailbox(3, .suspend()), restart: .transient) { Recorder() }
        let latch = Latch()
        ref.trySend(.blockThenStop(latch))
        try await latch.waitForArrivals(1)
        ref.trySend(.record(1))
        ref.trySend(.record(2))
        let asker = Task { () -> AskError? in
            do throws(AskError) {
                _ = try await ref.ask { (reply: ReplyTo<Int>) in .ignore(reply) }
                return nil
            } catch {
                return error
            }
        }
        try await eventually("ask queued") { ref.metrics.mailboxDepth == 3 }
        let sender = Task { await ref.send(.record(3)) }
        try await eventually("sender parked") { ref.metrics.suspendedSenders == 1 }
        latch.open()
        let reason = try await ref.termination()
        #expect(!reason.isFailure)
        #expect(await sender.value == .stopped)
        guard case .stopped(let path)? = await asker.value else {
            Issue.record("the ask should fail with .stopped")
            return
        }
        #expect(path == ref.path)
        // Two records, the ask and the waiting sender's record.
        #expect(system.deadLetters.count(.actorStopped) == 4)
        #expect(ref.trySend(.record(4)) == .stopped)
        await system.shutdown()
    }

    @Test func systemMessagesOvertakeAFullMailbox() async throws {
        let system = try ActorSystem.forTesting()
        let (ref, latch) = try await blockedRecorder(system, capacity: 2, overflow: .fail)
        ref.trySend(.record(1))
        ref.trySend(.record(2))
        #expect(ref.trySend(.record(3)) == .full)
        // The fault is injected through the system lane although the user lane is full; it
        // applies to the first user message handled after it.
        #expect(system.injectFault(at: ref.path, onMessage: 1))
        try await eventually("fault queued") { ref.cell.systemPending.load(ordering: .relaxed) }
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system)
        latch.open()
        try await lifecycle.expect(.failed("/root/recorder"))
        try await lifecycle.expect(.started("/root/recorder"))
        // Record 1 was the failing message; record 2 survives the restart.
        #expect(try await ref.ask { .get($0) } == [2])
        await system.shutdown()
    }

    @Test func invalidMailboxSettingsAreTypedErrors() {
        #expect(throws: ConfigurationError.notPositive(setting: "mailbox capacity", value: 0)) {
            try MailboxConfiguration(capacity: 0)
        }
        #expect(throws: ConfigurationError.notPositive(setting: "mailbox batch size", value: 0)) {
            try MailboxConfiguration(capacity: 1, batchSize: 0)
        }
        #expect(throws: ConfigurationError.invalidDuration(setting: "mailbox suspend timeout", value: .seconds(-1))) {
            try MailboxConfiguration(capacity: 1, overflow: .suspend(timeout: .seconds(-1)))
        }
    }
}

/// The fairness bound: an actor with a long queue hands its thread to others after each
/// full batch, so on one thread two busy actors take turns of at most `batchSize` messages.
@Suite struct BatchFairnessTests {
    /// Who handled each message, in order.
    // Unchecked Sendable: `order` is only accessed while `lock` is held.
    final class HandlingOrder: @unchecked Sendable {
        private let lock = Lock()
        private var order: [String] = []
        func add(_ name: String) { lock.withLock { order.append(name) } }
        var all: [String] { lock.withLock { order } }
    }

    enum Message: Sendable {
        case block(Latch)
        /// Holds the thread itself (not just the task).
        case hold(BlockingGate)
        case work
    }

    struct Busy: Behavior {
        let name: String
        let order: HandlingOrder

        func receive(_ message: Message, context: ActorContext<Message>) async throws {
            switch message {
            case .block(let latch): await latch.wait()
            case .hold(let gate): gate.block()
            case .work: order.add(name)
            }
        }
    }

    @Test func busyActorsOnOneThreadTakeTurnsOfAtMostOneBatch() async throws {
        let system = try ActorSystem.forTesting(threads: 1)
        let order = HandlingOrder()
        let (batchSize, perActor) = (10, 500)
        let latch = Latch()
        var refs: [ActorRef<Message>] = []
        for name in ["a", "b"] {
            let ref = try await system.spawn(name, mailbox: mailbox(perActor + 1, batch: batchSize)) { Busy(name: name, order: order) }
            ref.trySend(.block(latch))
            refs.append(ref)
        }
        // Both wait inside a handler (a wait frees the one thread), so their queues fill
        // behind batches of one.
        try await latch.waitForArrivals(2)
        for ref in refs {
            for _ in 0..<perActor { #expect(ref.trySend(.work) == .enqueued) }
        }
        // Both must be ready before either runs: hold the one thread while they are woken.
        let gate = BlockingGate()
        let holder = try await system.spawn("holder", mailbox: mailbox(1)) { Busy(name: "holder", order: order) }
        holder.trySend(.hold(gate))
        try await gate.waitForArrivals(1)
        latch.open()
        gate.open()
        try await eventually("all handled") { order.all.count == 2 * perActor }
        var longestRun = 0
        var run = 0
        var previous = ""
        for name in order.all {
            run = name == previous ? run + 1 : 1
            previous = name
            longestRun = max(longestRun, run)
        }
        #expect(longestRun <= batchSize, "one actor handled \(longestRun) messages in a row")
        #expect(order.all.filter { $0 == "a" }.count == perActor)
        await system.shutdown()
    }
}
