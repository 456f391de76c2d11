import Testing
@testable import Troupe
import TroupeTesting

/// What one incarnation set up (timers, background work, waits, asks in flight) never
/// reaches its successor, and an incarnation that will not end is abandoned rather than
/// waited for without bound (ShutdownTimeoutTests has the rest of that story).
@Suite struct IncarnationBoundaryTests {
    enum Message: Sendable {
        /// Answer after background work that only cancellation ends.
        case answerLater(ReplyTo<Int>)
        case answer(ReplyTo<Int>)
        case arm(Duration)
        case tick
        /// Wait at the latch, then fail.
        case failAfter(Latch)
        case slowPipe
        case piped(Result<Int, any Error>)
        case ping(ReplyTo<Int>)
        /// Ask `target` from a child task of a task group, then cancel the group.
        case askInGroupThenCancel(ActorRef<RecorderMessage>, ReplyTo<String>)
    }

    struct Subject: Behavior {
        let events: TestProbe<String>

        mutating func started(context: ActorContext<Message>) async throws {
            events.record("started")
            // The successor arms a timer with the same key, hence the same generation
            // number as its predecessor's.
            if context.restartCount > 0 { context.startTimer("t", after: .seconds(100), message: .tick) }
        }

        mutating func receive(_ message: Message, context: ActorContext<Message>) async throws {
            switch message {
            case .answerLater(let reply):
                let clock = context.clock
                context.pipeToSelf({ try await clock.sleep(for: .seconds(3600)) }, map: { _ in .answer(reply) })
                events.record("deferred")
            case .answer(let reply):
                reply.reply(1)
            case .arm(let delay):
                context.startTimer("t", after: delay, message: .tick)
            case .tick:
                events.record("tick at \(context.now.offset)")
            case .failAfter(let latch):
                await latch.wait()
                throw TestFailure("failed on purpose")
            case .slowPipe:
                let clock = context.clock
                context.pipeToSelf({ try await clock.sleep(for: .seconds(3600)); return 1 }, map: { .piped($0) })
            case .piped:
                events.record("piped")
            case .ping(let reply):
                reply.reply(0)
            case .askInGroupThenCancel(let target, let reply):
                let outcome = await withTaskGroup(of: String.self) { group in
                    group.addTask {
                        do {
                            _ = try await target.ask(timeout: .seconds(3600)) { .hold($0) }
                            return "replied"
                        } catch {
                            return "\(error)"
                        }
                    }
                    try? await eventually("request held") { target.metrics.processed == 1 }
                    group.cancelAll()
                    return await group.next() ?? "no outcome"
                }
                reply.reply(outcome)
            }
        }
    }

    private func subject(_ system: ActorSystem, shutdown: ShutdownPolicy = .defaultForActors) async throws -> (ActorRef<Message>, TestProbe<String>) {
        let events = TestProbe<String>()
        let ref = try await system.spawn("subject", mailbox: mailbox(16), shutdown: shutdown) { Subject(events: events) }
        try await events.expect("started")
        return (ref, events)
    }

    /// The last copy of a reply channel sits in a system message when the actor terminates:
    /// the ask fails as stopped (before, releasing it under the cell's lock deadlocked).
    @Test func aReplyChannelDroppedWithATerminatedActorsMessagesFailsItsAsk() async throws {
        let system = try ActorSystem.forTesting()
        let (ref, events) = try await subject(system)
        async let answer = ref.ask { .answerLater($0) }
        try await events.expect("deferred")
        #expect(await system.stop(childNamed: "subject"))
        do {
            _ = try await answer
            Issue.record("the ask must fail")
        } catch {
            guard case .stopped(let path)? = error as? AskError else { Issue.record("unexpected \(error)"); return }
            #expect(path == ref.path)
        }
        await system.shutdown()
    }

    /// A timer that fired while its incarnation was failing is not delivered to the next
    /// incarnation, even though that one armed a timer with the same key and generation.
    @Test func aTimerOfAFailedIncarnationDoesNotFireInItsSuccessor() async throws {
        let clock = ManualClock()
        let system = try ActorSystem.forTesting(clock: clock)
        let (ref, events) = try await subject(system)
        ref.trySend(.arm(.seconds(1)))
        let latch = Latch()
        ref.trySend(.failAfter(latch))
        try await latch.waitForArrivals(1)
        clock.advance(by: .seconds(1))  // the timer fires while the handler is held
        latch.open()
        try await events.expect("started")
        _ = try await ref.ask { .ping($0) }  // system messages are handled before this
        try events.expectNoPendingEvents()
        clock.advance(by: .seconds(100))
        try await events.expect("tick at 101.0 seconds")
        await system.shutdown()
    }

    /// Background work cancelled at the end of an incarnation pipes its result nowhere:
    /// the successor does not receive it.
    @Test func pipeToSelfOfAFailedIncarnationDoesNotReachItsSuccessor() async throws {
        let system = try ActorSystem.forTesting()
        let (ref, events) = try await subject(system)
        ref.trySend(.slowPipe)
        _ = try await ref.ask { .ping($0) }  // the work runs
        system.injectFault(at: ref.path)
        ref.trySend(.tick)  // the message the fault fires on
        try await events.expect("started")
        _ = try await ref.ask { .ping($0) }
        try events.expectNoPendingEvents()
        await system.shutdown()
    }

    /// A child task of a handler has its own cancellation: cancelling it ends its ask at
    /// once, although the task inherits the incarnation's task-locals.
    @Test func anAskFromAHandlersChildTaskEndsWhenThatTaskIsCancelled() async throws {
        let system = try ActorSystem.forTesting()
        let (ref, _) = try await subject(system)
        let target = try await system.spawn("target", mailbox: mailbox(8)) { Recorder() }
        let outcome = try await ref.ask { .askInGroupThenCancel(target, $0) }
        #expect(outcome == AskError.cancelled.description)
        await system.shutdown()
    }

    /// A handler that ignores cancellation is abandoned one more timeout after its task was
    /// cancelled: its supervisor's stop returns, the actor terminates (cancelled), and the
    /// task, which still runs, is counted until it ends at last, without a word to anyone.
    @Test func aChildThatIgnoresCancellationIsAbandonedAfterTwoTimeouts() async throws {
        let clock = ManualClock()
        let logs = TestProbe<String>()
        let system = ActorSystem(
            name: "test",
            configuration: try .init(threads: 2, clock: clock, randomSeed: 1, logLevel: .warning) { _, line in logs.record(line) }
        )
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system)
        let stubborn = try await system.spawn("stubborn", mailbox: mailbox(8), shutdown: try .graceful(timeout: .seconds(1))) { Recorder() }
        try await lifecycle.expect(.started("/root/stubborn"))
        let latch = Latch()
        stubborn.trySend(.block(latch))  // a latch does not end on cancellation
        stubborn.trySend(.record(1))     // queued behind it
        try await latch.waitForArrivals(1)
        let deadLetters = TestProbe<DeadLetter>.deadLetters(of: system)
        async let stopped = system.stop(childNamed: "stubborn")
        try await clock.waitForTimers(count: 1)
        clock.advance(by: .seconds(1))  // graceful stop times out: its task is cancelled
        try await clock.waitForTimers(count: 1)
        #expect(stubborn.state != .terminated)
        clock.advance(by: .seconds(1))  // cancellation is ignored too: abandoned
        #expect(await stopped)
        let warning = try await logs.next()
        #expect(warning.contains("/root/stubborn ignored its stop for 1.0 seconds and cancellation for 1.0 seconds more: abandoned"))
        try await lifecycle.expect(sequence: [.failed("/root/stubborn"), .terminated("/root/stubborn")])
        guard case .cancelled = try await stubborn.termination() else {
            Issue.record("an abandoned actor ends as cancelled")
            return
        }
        #expect(stubborn.trySend(.record(2)) == .stopped)
        #expect(system.lookup(stubborn.path, as: RecorderMessage.self) == nil, "stopped and removed")
        #expect(system.abandonedTaskCount == 1 && system.abandonedTasksTotal == 1)
        #expect(system.liveActorCount == 1, "the root only: an abandoned incarnation is no live actor")
        #expect(system.liveTaskCount == 2, "the root and the abandoned task")

        latch.open()  // the abandoned task ends at last, unnoticed but for the count
        try await eventually("the abandoned task ended") { system.abandonedTaskCount == 0 }
        // Both messages are dead letters: the one sent after the end, and the one queued
        // behind the stuck handler (dropped with the mailbox, or, if the task had taken it
        // in the same batch, when that task ended).
        let recorded = try await [deadLetters.next(), deadLetters.next()]
        #expect(recorded.allSatisfy { $0.reason == .actorStopped })
        let values = recorded.compactMap { letter -> Int? in
            guard case .record(let value) = letter.message as? RecorderMessage else { return nil }
            return value
        }
        #expect(values.sorted() == [1, 2])
        #expect(system.abandonedTasksTotal == 1)
        try lifecycle.expectNoPendingEvents()
        let report = await system.shutdown()
        #expect(report.completed && report.abandonedTasks == 0)
    }
}
