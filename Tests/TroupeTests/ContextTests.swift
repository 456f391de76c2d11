import Testing
@testable import Troupe
import TroupeTesting

@Suite struct ContextTests {
    enum TickerMessage: Sendable {
        case start(String, after: Duration)
        case startPeriodic(String, every: Duration)
        case cancel(String)
        case tick(String)
        case background(Latch)
        case pipe(Result<Int, TestFailure>)
        case piped(Result<Int, any Error>)
        case spawnChild(String, ReplyTo<ActorRef<WorkerMessage>>)
        case stopChild(ActorRef<WorkerMessage>)
        case stopSelf
    }

    /// Reports timer ticks (with the clock's time), background work and piped results.
    struct Ticker: Behavior {
        let events: TestProbe<String>

        mutating func started(context: ActorContext<TickerMessage>) async throws {
            events.record("started")
        }

        mutating func receive(_ message: TickerMessage, context: ActorContext<TickerMessage>) async throws {
            switch message {
            case .start(let key, let delay):
                context.startTimer(key, after: delay, message: .tick(key))
            case .startPeriodic(let key, let interval):
                do {
                    try context.startPeriodicTimer(key, every: interval, message: .tick(key))
                } catch {
                    events.record("refused: \(error)")
                }
            case .cancel(let key):
                context.cancelTimer(key)
            case .tick(let key):
                events.record("\(key) at \(context.now.offset)")
            case .background(let latch):
                let clock = context.clock
                context.run {
                    await latch.wait()
                    // Waits on the manual clock, which nobody advances: only cancellation ends it.
                    try? await clock.sleep(for: .seconds(3600))
                }
            case .pipe(let result):
                context.pipeToSelf({ try result.get() }, map: { .piped($0) })
            case .piped(let result):
                switch result {
                case .success(let value): events.record("piped \(value)")
                case .failure(let error): events.record("piped error \(error)")
                }
            case .spawnChild(let name, let reply):
                reply.complete { try context.spawn(name, mailbox: mailbox(8)) { Worker() } }
            case .stopChild(let child):
                context.stop(child)
            case .stopSelf:
                context.stop()
            }
        }

        mutating func stopping(context: ActorContext<TickerMessage>) async {
            events.record("stopping")
        }
    }

    private func ticker(_ clock: ManualClock) async throws -> (ActorSystem, ActorRef<TickerMessage>, TestProbe<String>) {
        let system = try ActorSystem.forTesting(clock: clock)
        let events = TestProbe<String>()
        let ref = try await system.spawn("ticker", mailbox: mailbox(16)) { Ticker(events: events) }
        try await events.expect("started")
        return (system, ref, events)
    }

    @Test func aTimerDeliversItsMessageAfterTheDelayAndACancelledOneNever() async throws {
        let clock = ManualClock()
        let (system, ref, events) = try await ticker(clock)
        ref.trySend(.start("a", after: .seconds(2)))
        ref.trySend(.start("b", after: .seconds(1)))
        ref.trySend(.cancel("b"))
        ref.trySend(.start("c", after: .seconds(1)))
        ref.trySend(.start("c", after: .seconds(3)))  // replaces the first "c"
        try await eventually("timers set") { ref.metrics.processed == 5 }
        clock.advance(by: .milliseconds(1_999))
        clock.advance(to: ClockInstant(offset: .seconds(2)))
        try await events.expect("a at 2.0 seconds")
        clock.advance(by: .seconds(1))
        try await events.expect("c at 3.0 seconds")
        try events.expectNoPendingEvents()
        await system.shutdown()
    }

    @Test func aPeriodicTimerTicksOnExactMultiplesUntilCancelled() async throws {
        let clock = ManualClock()
        let (system, ref, events) = try await ticker(clock)
        ref.trySend(.startPeriodic("p", every: .milliseconds(100)))
        try await eventually("timer set") { ref.metrics.processed == 1 }
        for step in 1...3 {
            clock.advance(by: .milliseconds(99))
            #expect(events.pending.isEmpty, "no tick before the interval")
            clock.advance(by: .milliseconds(1))
            try await events.expect("p at \(Double(step) / 10) seconds")
        }
        ref.trySend(.cancel("p"))
        try await eventually("cancelled") { ref.metrics.processed >= 5 }
        clock.advance(by: .seconds(1))
        try events.expectNoPendingEvents()
        await system.shutdown()
    }

    @Test func aPeriodicTimerWithoutAPositiveIntervalIsATypedError() async throws {
        let clock = ManualClock()
        let (system, ref, events) = try await ticker(clock)
        for interval in [Duration.zero, .milliseconds(-5)] {
            ref.trySend(.startPeriodic("bad", every: interval))
            try await events.expect("refused: \(ConfigurationError.invalidDuration(setting: "periodic timer interval", value: interval))")
        }
        clock.advance(by: .seconds(1))
        try events.expectNoPendingEvents()
        #expect(ref.metrics.restarts == 0)
        await system.shutdown()
    }

    @Test func timersDieWithTheIncarnation() async throws {
        let clock = ManualClock()
        let (system, ref, events) = try await ticker(clock)
        ref.trySend(.start("late", after: .seconds(5)))
        try await eventually("timer set") { ref.metrics.processed == 1 }
        system.injectFault(at: ref.path)
        ref.trySend(.cancel("nothing"))  // the message the fault fires on
        try await events.expect(sequence: ["stopping", "started"])
        clock.advance(by: .seconds(10))
        try events.expectNoPendingEvents()
        await system.shutdown()
    }

    @Test func backgroundWorkIsCancelledWhenTheActorStops() async throws {
        let clock = ManualClock()
        let (system, ref, _) = try await ticker(clock)
        let latch = Latch()
        ref.trySend(.background(latch))
        try await latch.waitForArrivals(1)
        #expect(system.liveTaskCount == 3, "root, ticker, its background task")
        latch.open()
        let report = await system.shutdown()
        #expect(report.completed)
        #expect(system.liveTaskCount == 0)
    }

    @Test func pipeToSelfDeliversTheResultAsAMessage() async throws {
        let clock = ManualClock()
        let (system, ref, events) = try await ticker(clock)
        ref.trySend(.pipe(.success(42)))
        try await events.expect("piped 42")
        ref.trySend(.pipe(.failure(TestFailure("nope"))))
        try await events.expect("piped error nope")
        await system.shutdown()
    }

    @Test func spawnedChildrenAreSupervisedAndStoppedBeforeTheirParent() async throws {
        let clock = ManualClock()
        let (system, ref, _) = try await ticker(clock)
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system, under: "/root/ticker/")
        let child = try await ref.ask { .spawnChild("child", $0) }
        #expect(child.path.description == "/root/ticker/child")
        try await lifecycle.expect(.started("/root/ticker/child"))
        child.trySend(.fail)  // permanent by default: restarted
        try await lifecycle.expect(sequence: [.failed("/root/ticker/child"), .started("/root/ticker/child")])
        do {
            _ = try await ref.ask { .spawnChild("child", $0) }
            Issue.record("a second child named child must be refused")
        } catch .failed(let error) {
            #expect(error as? ConfigurationError == .duplicateChildName("child"))
        } catch {
            Issue.record("unexpected \(error)")
        }
        ref.trySend(.stopSelf)
        try await lifecycle.skip(until: "child terminated") { $0 == .terminated("/root/ticker/child") }
        await system.shutdown()
    }

    @Test func stoppingAChildEndsItForGood() async throws {
        let clock = ManualClock()
        let (system, ref, _) = try await ticker(clock)
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system, under: "/root/ticker/")
        let child = try await ref.ask { .spawnChild("child", $0) }
        try await lifecycle.expect(.started("/root/ticker/child"))
        ref.trySend(.stopChild(child))
        try await lifecycle.expect(sequence: [.stopped("/root/ticker/child"), .terminated("/root/ticker/child")])
        #expect(child.trySend(.fail) == .stopped)
        await system.shutdown()
    }
}

@Suite struct ChildStopRaceTests {
    enum ParentMessage: Sendable {
        case spawn(ReplyTo<ActorRef<RecorderMessage>>)
        case stopChild(ActorRef<RecorderMessage>)
    }

    struct Parent: Behavior {
        mutating func receive(_ message: ParentMessage, context: ActorContext<ParentMessage>) async throws {
            switch message {
            case .spawn(let reply):
                reply.complete { try context.spawn("child", mailbox: mailbox(8)) { Recorder() } }
            case .stopChild(let child):
                context.stop(child)
            }
        }
    }

    /// A parent that asked a child to stop, then is stopped itself before the child's exit
    /// arrives, still waits for that child: no task is left behind.
    @Test func aParentStoppedWhileItsChildIsStoppingWaitsForIt() async throws {
        let system = try ActorSystem.forTesting()
        let parent = try await system.spawn("parent", mailbox: mailbox(8)) { Parent() }
        let child = try await parent.ask { .spawn($0) }
        let busy = Latch()
        child.trySend(.block(busy))
        try await busy.waitForArrivals(1)
        parent.trySend(.stopChild(child))  // the child stops after its current message
        try await eventually("stop requested") { parent.metrics.processed == 2 }
        let stopping = Task { await system.stop(childNamed: "parent") }
        try await eventually("parent stopping, waiting for its child") { parent.state == .stopping }
        busy.open()
        _ = await stopping.value
        #expect(child.state == .terminated)
        let report = await system.shutdown()
        #expect(report.completed)
        #expect(system.liveTaskCount == 0)
    }
}
