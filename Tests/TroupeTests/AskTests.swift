import Testing
import Troupe
import TroupeTesting

@Suite struct AskTests {
    /// Runs `ask` and returns its error, or nil if it got a reply.
    private func askError(_ ask: @escaping @Sendable () async throws(AskError) -> Int) async -> AskError? {
        do throws(AskError) {
            _ = try await ask()
            return nil
        } catch {
            return error
        }
    }

    @Test func replyArrivesTyped() async throws {
        let system = try ActorSystem.forTesting()
        let ref = try await system.spawn("r", mailbox: mailbox(8)) { Recorder() }
        ref.trySend(.record(7))
        let seen: [Int] = try await ref.ask { .get($0) }
        #expect(seen == [7])
        await system.shutdown()
    }

    @Test func deadlinePassingIsATypedTimeout() async throws {
        let clock = ManualClock()
        let system = try ActorSystem.forTesting(clock: clock, askTimeout: .seconds(30))
        let ref = try await system.spawn("r", mailbox: mailbox(8)) { Recorder() }
        let before = clock.scheduledCount
        let asking = Task { await askError { () throws(AskError) in try await ref.ask(timeout: .seconds(1)) { .hold($0) } } }
        try await clock.waitForTimers(count: before + 1)
        clock.advance(by: .seconds(1))
        guard case .timedOut(let after)? = await asking.value else {
            Issue.record("expected a timeout")
            return
        }
        #expect(after == .seconds(1))
        await system.shutdown()
    }

    /// `AskError` is `Equatable`, so a test names the error it expects.
    @Test func aTimeoutCanBeExpectedByValue() async throws {
        let clock = ManualClock()
        let system = try ActorSystem.forTesting(clock: clock)
        let ref = try await system.spawn("r", mailbox: mailbox(8)) { Recorder() }
        let before = clock.scheduledCount
        let asking = Task { () async throws -> Int in try await ref.ask(timeout: .seconds(1)) { .hold($0) } }
        try await clock.waitForTimers(count: before + 1)
        clock.advance(by: .seconds(1))
        await #expect(throws: AskError.timedOut(after: .seconds(1))) { try await asking.value }
        await system.shutdown()
    }

    @Test func askErrorsAreEqualWhenCaseAndValuesAre() {
        let a = ActorPath("/root/a")!
        let b = ActorPath("/root/b")!
        #expect(AskError.timedOut(after: .seconds(1)) == .timedOut(after: .seconds(1)))
        #expect(AskError.timedOut(after: .seconds(1)) != .timedOut(after: .seconds(2)))
        #expect(AskError.stopped(a) == .stopped(a))
        #expect(AskError.stopped(a) != .stopped(b))
        #expect(AskError.stopped(a) != .noReply(a))
        #expect(AskError.mailboxFull(a) == .mailboxFull(a))
        #expect(AskError.dropped(a) != .mailboxFull(a))
        #expect(AskError.cancelled == .cancelled)
        #expect(AskError.notPlaced("ChildRef<Int>") == .notPlaced("ChildRef<Int>"))
        #expect(AskError.notPlaced("ChildRef<Int>") != .cancelled)
    }

    /// `.failed` compares the errors it holds: by their own `==` when they are `Equatable`,
    /// otherwise by type and description; never equal across types.
    @Test func failedAskErrorsCompareTheirErrors() {
        struct Opaque: Error, CustomStringConvertible {
            let description: String
        }
        struct AlsoOpaque: Error, CustomStringConvertible {
            let description: String
        }
        #expect(AskError.failed(TestFailure("refused")) == .failed(TestFailure("refused")))
        #expect(AskError.failed(TestFailure("refused")) != .failed(TestFailure("other")))
        #expect(AskError.failed(Opaque(description: "x")) == .failed(Opaque(description: "x")))
        #expect(AskError.failed(Opaque(description: "x")) != .failed(Opaque(description: "y")))
        #expect(AskError.failed(Opaque(description: "x")) != .failed(AlsoOpaque(description: "x")))
        #expect(AskError.failed(Opaque(description: "x")) != .stopped(ActorPath("/root/x")!))
    }

    /// An ask takes no timer of its own: its deadline joins the lane of its timeout, and one
    /// sweep timer of the system fires at the earliest deadline. An ask schedules a timer
    /// only when its deadline is earlier than every pending one.
    @Test func asksWithTheSameTimeoutShareOneSweepTimer() async throws {
        let clock = ManualClock()
        let system = try ActorSystem.forTesting(clock: clock)
        let ref = try await system.spawn("r", mailbox: mailbox(8)) { Recorder() }
        let idle = clock.scheduledCount
        let ask: @Sendable (Duration) -> Task<Int, any Error> = { timeout in
            Task { try await ref.ask(timeout: timeout) { .hold($0) } }
        }
        let long = (1...3).map { _ in ask(.seconds(2)) }
        try await eventually("three requests held") { ref.metrics.processed == 3 }
        #expect(clock.scheduledCount == idle + 1, "three asks, one sweep timer")
        let short = ask(.seconds(1))
        try await eventually("four requests held") { ref.metrics.processed == 4 }
        #expect(clock.scheduledCount == idle + 2, "an earlier deadline schedules an earlier sweep")
        clock.advance(by: .seconds(1))
        await #expect(throws: AskError.timedOut(after: .seconds(1))) { try await short.value }
        clock.advance(by: .seconds(1))
        for asking in long {
            await #expect(throws: AskError.timedOut(after: .seconds(2))) { try await asking.value }
        }
        await system.shutdown()
    }

    @Test func aStoppedTargetFailsAtOnce() async throws {
        let system = try ActorSystem.forTesting()
        let ref = try await system.spawn("r", mailbox: mailbox(8), restart: .temporary) { Recorder() }
        await system.stop(childNamed: "r")
        guard case .stopped(let path)? = await askError({ () throws(AskError) in try await ref.ask { .hold($0) } }) else {
            Issue.record("expected .stopped")
            return
        }
        #expect(path == ref.path)
        await system.shutdown()
    }

    /// The deadline covers the whole ask, the wait for room in a full mailbox included,
    /// even when the mailbox lets senders wait for ever.
    @Test func theDeadlineCoversTheWaitForRoom() async throws {
        let clock = ManualClock()
        let system = try ActorSystem.forTesting(clock: clock, askTimeout: .seconds(30))
        let ref = try await system.spawn("r", mailbox: mailbox(1, .suspend())) { Recorder() }
        let latch = Latch()
        ref.trySend(.block(latch))
        try await latch.waitForArrivals(1)
        #expect(ref.trySend(.record(1)) == .enqueued)
        let asking = Task { await askError { () throws(AskError) in try await ref.ask(timeout: .seconds(1)) { .hold($0) } } }
        try await eventually("the request waits for room") { ref.metrics.suspendedSenders == 1 }
        clock.advance(by: .seconds(1))
        guard case .timedOut(let after)? = await asking.value else {
            Issue.record("expected a timeout at the ask's deadline")
            return
        }
        #expect(after == .seconds(1))
        #expect(ref.metrics.suspendedSenders == 0)
        #expect(system.deadLetters.count(.sendTimedOut) == 1, "the request never reaches the actor")
        latch.open()
        #expect(try await ref.ask { .get($0) } == [1])
        await system.shutdown()
    }

    @Test func stoppingWhileHoldingTheRequestFailsTheAskerAtOnce() async throws {
        let system = try ActorSystem.forTesting(askTimeout: .seconds(3600))
        let ref = try await system.spawn("r", mailbox: mailbox(8), restart: .temporary) { Recorder() }
        let asking = Task { await askError { () throws(AskError) in try await ref.ask { .hold($0) } } }
        try await eventually("request handled") { ref.metrics.processed == 1 }
        await system.stop(childNamed: "r")
        guard case .stopped? = await asking.value else {
            Issue.record("expected .stopped, not a wait for the one-hour deadline")
            return
        }
        await system.shutdown()
    }

    @Test func aDroppedReplyChannelIsNoReply() async throws {
        let system = try ActorSystem.forTesting(askTimeout: .seconds(3600))
        let ref = try await system.spawn("r", mailbox: mailbox(8)) { Recorder() }
        guard case .noReply(let path)? = await askError({ () throws(AskError) in try await ref.ask { .ignore($0) } }) else {
            Issue.record("expected .noReply")
            return
        }
        #expect(path == ref.path)
        await system.shutdown()
    }

    @Test func aFailedReplyCarriesTheError() async throws {
        let system = try ActorSystem.forTesting()
        let ref = try await system.spawn("r", mailbox: mailbox(8)) { Recorder() }
        guard case .failed(let error)? = await askError({ () throws(AskError) in try await ref.ask { .refuse($0) } }) else {
            Issue.record("expected .failed")
            return
        }
        #expect(error as? TestFailure == TestFailure("refused"))
        await system.shutdown()
    }

    @Test func aFullMailboxRefusesTheRequest() async throws {
        let system = try ActorSystem.forTesting()
        let ref = try await system.spawn("r", mailbox: mailbox(1, .fail)) { Recorder() }
        let latch = Latch()
        ref.trySend(.block(latch))
        try await latch.waitForArrivals(1)
        ref.trySend(.record(1))
        guard case .mailboxFull? = await askError({ () throws(AskError) in try await ref.ask { .hold($0) } }) else {
            Issue.record("expected .mailboxFull")
            return
        }
        latch.open()
        await system.shutdown()
    }

    @Test func cancellingTheAskerEndsTheAsk() async throws {
        let system = try ActorSystem.forTesting(askTimeout: .seconds(3600))
        let ref = try await system.spawn("r", mailbox: mailbox(8)) { Recorder() }
        let asking = Task { await askError { () throws(AskError) in try await ref.ask { .hold($0) } } }
        try await eventually("request handled") { ref.metrics.processed == 1 }
        asking.cancel()
        guard case .cancelled? = await asking.value else {
            Issue.record("expected .cancelled")
            return
        }
        await system.shutdown()
    }

    @Test func manyConcurrentAsksEachGetTheirOwnReply() async throws {
        let system = try ActorSystem.forTesting()
        let ref = try await system.spawn("counter", mailbox: mailbox(64)) { Counter() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<1_000 {
                group.addTask { await ref.send(.increment) }
            }
            try await group.waitForAll()
        }
        let values = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<200 { group.addTask { try await ref.ask { .get($0) } } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(values == Array(repeating: 1_000, count: 200))
        await system.shutdown()
    }
}
