import Testing
@testable import Troupe
import TroupeTesting

/// An idle actor may let its task end (``ActorSystem/Configuration/idleTaskRelease``) and
/// get a new one when a message arrives. What must hold: the state, the order and the
/// supervision are the same as with a parked task; the setting decides who releases.
@Suite struct IdleTaskReleaseTests {

    /// How the actor behind `ref` waits now: `.dormant`, `.task(_)`, or nil while a turn is
    /// held (it is handling a message).
    func consumer<M>(of ref: ActorRef<M>) -> ParkedConsumer? {
        ref.cell.lock.withLock { ref.cell.consumer }
    }

    func isDormant<M>(_ ref: ActorRef<M>) -> Bool {
        ref.cell.lock.withLock {
            if case .dormant = ref.cell.consumer { return ref.cell.task == nil }
            return false
        }
    }

    func isParkedOnItsTask<M>(_ ref: ActorRef<M>) -> Bool {
        ref.cell.lock.withLock {
            if case .task = ref.cell.consumer { return ref.cell.task != nil }
            return false
        }
    }

    @Test func anActorReleasesItsTaskInItsFirstWaitAndKeepsItsState() async throws {
        let system = try ActorSystem.forTesting()
        let probe = TestProbe<String>()
        let counter = try await system.spawn("counter", mailbox: mailbox(16)) { Counter(probe: probe) }
        try await probe.expect("started counter")
        counter.trySend(.add(5))
        try await eventually("the counter let its task go") { isDormant(counter) }

        // A new task goes on with the same incarnation: the state is there.
        counter.trySend(.add(2))
        #expect(try await counter.ask { .get($0) } == 7)
        #expect(counter.cell.currentIncarnation == 1, "no restart: the same incarnation")

        // A stop reaches a dormant actor, and its `stopping` runs.
        try await eventually("idle again") { consumer(of: counter) != nil }
        counter.trySend(.stop)
        try await probe.expect("stopping counter")
        await system.shutdown()
    }

    @Test func withTheSettingOffAnIdleActorKeepsItsTask() async throws {
        let system = try ActorSystem.forTesting(idleTaskRelease: nil)
        let counter = try await system.spawn("counter", mailbox: mailbox(16)) { Counter() }
        #expect(try await counter.ask { .get($0) } == 0)
        try await eventually("parked") { consumer(of: counter) != nil }
        #expect(isParkedOnItsTask(counter))
        await system.shutdown()
    }

    @Test func anActorWhoseLastWaitWasShortKeepsItsTask() async throws {
        // An hour: only the first two waits release the task.
        let system = try ActorSystem.forTesting(idleTaskRelease: .seconds(3600))
        let counter = try await system.spawn("counter", mailbox: mailbox(16)) { Counter() }
        try await eventually("dormant in its first wait") { isDormant(counter) }
        #expect(try await counter.ask { .get($0) } == 0)
        try await eventually("dormant in its second wait") { isDormant(counter) }
        // That wait lasted well under an hour, so the next ones keep the task.
        #expect(try await counter.ask { .get($0) } == 0)
        try await eventually("parked") { consumer(of: counter) != nil }
        #expect(isParkedOnItsTask(counter))
        #expect(try await counter.ask { .get($0) } == 0)
        try await eventually("parked again") { consumer(of: counter) != nil }
        #expect(isParkedOnItsTask(counter))
        await system.shutdown()
    }

    @Test func aFailureOfADormantActorIsRestartedAsAlways() async throws {
        let system = try ActorSystem.forTesting()
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system)
        let counter = try await system.spawn("counter", mailbox: mailbox(16)) { Counter() }
        try await lifecycle.expect(.started(counter))
        counter.trySend(.add(3))
        try await eventually("dormant") { isDormant(counter) }
        counter.trySend(.fail)
        try await lifecycle.expect(.failed(counter))
        try await lifecycle.expect(.started(counter))
        #expect(try await counter.ask { .get($0) } == 0, "a fresh state after the restart")
        await system.shutdown()
    }

    @Test(arguments: [false, true])
    func manySendersLoseNothingAndKeepTheirOrderWhileTasksComeAndGo(immediateTurns: Bool) async throws {
        // Zero: every wait releases the task, so each wake-up under the load starts a new
        // task for the same incarnation.
        let system = try ActorSystem.forTesting(immediateTurnDepth: immediateTurns ? 4 : 0, idleTaskRelease: .zero)
        let recorder = try await system.spawn("recorder", mailbox: mailbox(64)) { SenderOrder() }
        let senders = 16
        let perSender = 500
        await withTaskGroup(of: Void.self) { group in
            for sender in 0..<senders {
                group.addTask {
                    for sequence in 0..<perSender {
                        _ = await recorder.send(.record(sender: sender, sequence: sequence))
                        if sequence % 50 == 0 { await Task.yield() }
                    }
                }
            }
        }
        let summary = try await recorder.ask { .summary($0) }
        #expect(summary.total == senders * perSender, "nothing lost")
        #expect(summary.outOfOrder == 0, "each sender's messages in its order")
        #expect(recorder.cell.currentIncarnation == 1)
        await system.shutdown()
    }

    enum SenderOrderMessage: Sendable {
        case record(sender: Int, sequence: Int)
        case summary(ReplyTo<(total: Int, outOfOrder: Int)>)
    }

    /// Counts messages and checks each sender's sequence numbers arrive in order.
    struct SenderOrder: Behavior {
        var next: [Int: Int] = [:]
        var total = 0
        var outOfOrder = 0

        mutating func receive(_ message: SenderOrderMessage, context: ActorContext<SenderOrderMessage>) async throws {
            switch message {
            case .record(let sender, let sequence):
                total += 1
                if next[sender, default: 0] != sequence { outOfOrder += 1 }
                next[sender] = sequence + 1
            case .summary(let reply):
                reply.reply((total, outOfOrder))
            }
        }
    }

    enum ProbeMessage: Sendable {
        case wasCancelled(ReplyTo<Bool>)
        case requestID(ReplyTo<Int?>)
    }

    @TaskLocal static var requestID: Int?

    /// Replies what its handler's task sees.
    struct TaskObserver: Behavior {
        mutating func receive(_ message: ProbeMessage, context: ActorContext<ProbeMessage>) async throws {
            switch message {
            case .wasCancelled(let reply): reply.reply(Task.isCancelled)
            case .requestID(let reply): reply.reply(IdleTaskReleaseTests.requestID)
            }
        }
    }

    @Test func aCancelledIncarnationStaysCancelledAcrossDormancyAndARestartDoesNot() async throws {
        let system = try ActorSystem.forTesting(idleTaskRelease: .seconds(3600))
        let observer = try await system.spawn("observer", mailbox: mailbox(4)) { TaskObserver() }
        try await eventually("dormant") { isDormant(observer) }
        #expect(try await observer.ask { .wasCancelled($0) } == false)
        try await eventually("dormant again") { isDormant(observer) }
        // As after a shutdown timeout: the incarnation is cancelled while it has no task.
        observer.cell.cancelSubtree()
        #expect(try await observer.ask { .wasCancelled($0) } == true, "the new task goes on cancelled")
        await system.shutdown()
    }

    @Test func aHandlerDoesNotSeeTheTaskLocalsOfWhoeverWokeItsActor() async throws {
        let system = try ActorSystem.forTesting()
        let observer = try await system.spawn("observer", mailbox: mailbox(4)) { TaskObserver() }
        try await eventually("dormant") { isDormant(observer) }
        let seen = try await Self.$requestID.withValue(42) {
            try await observer.ask { .requestID($0) }
        }
        #expect(seen == nil, "the sender's request-scoped value leaked into the actor")
        await system.shutdown()
    }

    @Test func anEndedIncarnationScopeMatchesNoTaskNotEvenItsOwn() async {
        let system = ActorSystem(name: "scope")
        let matched = await Task {
            let scope = IncarnationScope(cell: system.root!)
            let before = scope.cellForCurrentTask != nil
            scope.taskEnded()
            return (before, scope.cellForCurrentTask != nil)
        }.value
        #expect(matched.0, "the scope's own task matches while it runs")
        #expect(!matched.1, "an ended scope matches nothing (a later task may reuse the address)")
        await system.shutdown()
    }

    @Test func theSettingMustNotBeNegative() throws {
        #expect(throws: ConfigurationError.self) {
            try ActorSystem.Configuration(idleTaskRelease: .nanoseconds(-1))
        }
        #expect(try ActorSystem.Configuration(idleTaskRelease: .zero).idleTaskRelease == .zero)
    }

    @Test func withZeroEveryWaitReleasesTheTask() async throws {
        let system = try ActorSystem.forTesting(idleTaskRelease: .zero)
        let counter = try await system.spawn("counter", mailbox: mailbox(16)) { Counter() }
        for round in 1...5 {
            counter.trySend(.increment)
            #expect(try await counter.ask { .get($0) } == round)
            try await eventually("dormant after wake-up \(round)") { isDormant(counter) }
        }
        #expect(counter.cell.currentIncarnation == 1)
        await system.shutdown()
    }
}
