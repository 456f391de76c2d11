import Testing
import Troupe
import TroupeTesting

/// The five supervisor-failure scenarios a newcomer wrote against the test kit (crash and
/// restart, intensity escalation, a `fail` mailbox, backoff on the manual clock, an ask
/// deadline), written as the guide shows them: every actor named by the typed value the
/// test holds (a `ChildRef`, the path `start` returned), no path string anywhere.
@Suite struct TypedScenarioTests {
    enum AccountMessage: Sendable {
        case deposit(Int)
        case balance(ReplyTo<Int>)
        /// Withdrawing more than the balance is a bug in the caller: the account fails.
        case withdraw(Int)
        /// Holds the account inside this message until the latch opens.
        case hold(Latch)
    }

    struct Overdrawn: Error {}

    struct Account: Behavior {
        var balance = 0

        mutating func receive(_ message: AccountMessage, context: ActorContext<AccountMessage>) async throws {
            switch message {
            case .deposit(let amount): balance += amount
            case .balance(let reply): reply.reply(balance)
            case .withdraw(let amount):
                guard amount <= balance else { throw Overdrawn() }
                balance -= amount
            case .hold(let latch): await latch.wait()
            }
        }
    }

    /// The newcomer's tree: a one-for-one `shop` with an `account` and an `audit` log.
    struct Shop {
        let account = ChildRef<AccountMessage>()
        let audit = ChildRef<CounterMessage>()
        let path: ActorPath

        init(
            in system: ActorSystem,
            intensity: RestartIntensity = .default,
            backoff: Backoff? = nil,
            accountMailbox: MailboxConfiguration = mailbox(16),
            restart: RestartType = .permanent
        ) async throws {
            let spec = try SupervisorSpec(strategy: .oneForOne, intensity: intensity, backoff: backoff, children: [
                account.childSpec("account", mailbox: accountMailbox) { Account() },
                audit.childSpec("audit", mailbox: mailbox(16)) { Counter() },
            ])
            path = try await system.start(.supervisor("shop", spec, restart: restart))
        }
    }

    /// Crash and restart: the failed child alone is restarted, with fresh state; its
    /// sibling keeps its own.
    @Test func aCrashedChildIsRestartedAloneWithFreshState() async throws {
        let system = try ActorSystem.forTesting()
        let shop = try await Shop(in: system)
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system, under: shop.path)
        await shop.account.send(.deposit(10))
        await shop.audit.send(.add(3))

        await shop.account.send(.withdraw(50))  // overdrawn: the account fails
        try await lifecycle.expect(sequence: [.failed(shop.account), .started(shop.account)])
        #expect(try await shop.account.ask { .balance($0) } == 0, "fresh state")
        #expect(try await shop.audit.ask { .get($0) } == 3, "the sibling was not restarted")
        #expect(shop.account.ref?.metrics.restarts == 1)

        #expect(system.injectFault(at: shop.account))  // the same, by fault injection
        shop.account.trySend(.deposit(1))
        try await lifecycle.expect(sequence: [.failed(shop.account), .started(shop.account)])
        try lifecycle.expectNoPendingEvents()
        await system.shutdown()
    }

    /// Intensity escalation: past its restart intensity the supervisor stops its other
    /// children and gives up with a shutdown reason; being transient, it is not restarted.
    @Test func pastItsIntensityTheSupervisorGivesUp() async throws {
        let system = try ActorSystem.forTesting(logLevel: nil)
        let shop = try await Shop(
            in: system, intensity: try RestartIntensity(maxRestarts: 1, within: .seconds(10)), restart: .transient
        )
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system)
        let root = try #require(system.supervisor(at: .root))

        shop.account.trySend(.withdraw(1))
        try await lifecycle.expect(sequence: [.failed(shop.account), .started(shop.account)])  // 1 restart: allowed
        shop.account.trySend(.withdraw(1))
        try await lifecycle.expect(sequence: [
            .failed(shop.account),  // a 2nd restart within 10 s is one too many
            .stopped(shop.audit),
            .stopped(shop.path),  // a shutdown, not a failure: the transient shop stays down
        ])
        var terminated: Set<Lifecycle> = []  // the order among these is not specified
        for _ in 0..<3 { terminated.insert(try await lifecycle.next()) }
        #expect(terminated == [.terminated(shop.account), .terminated(shop.audit), .terminated(shop.path)])
        #expect(await shop.account.send(.deposit(1)) == .stopped)
        let children = try await root.whichChildren()
        #expect(children.first { $0.path == shop.path }?.status == .stopped)
        await system.shutdown()
    }

    /// A `fail` mailbox: a message beyond its capacity is refused at once with `.full` and
    /// goes to dead letters, addressed to the account; those queued are handled.
    @Test func aFullFailMailboxRefusesAtOnceAndDeadLettersTheMessage() async throws {
        let system = try ActorSystem.forTesting()
        let shop = try await Shop(in: system, accountMailbox: mailbox(2, .fail))
        let deadLetters = TestProbe<DeadLetter>.deadLetters(of: system)
        let latch = Latch()
        shop.account.trySend(.hold(latch))
        try await latch.waitForArrivals(1)  // the account is inside `hold`; its mailbox is empty

        #expect(shop.account.trySend(.deposit(1)) == .enqueued)
        #expect(await shop.account.send(.deposit(2)) == .enqueued)
        #expect(await shop.account.send(.deposit(4)) == .full, "a fail mailbox never waits")
        let letter = try await deadLetters.next()
        #expect(letter.recipient == shop.account.actorPath)
        #expect(letter.reason == .mailboxFull)
        #expect(system.deadLetters.count(.mailboxFull) == 1)

        latch.open()
        try await eventually("the queue drained") { shop.account.ref?.metrics.mailboxDepth == 0 }
        #expect(try await shop.account.ask { .balance($0) } == 3, "the two queued deposits, not the refused one")
        await system.shutdown()
    }

    /// Backoff on the manual clock: each restart waits its delay (100 ms, then doubled),
    /// and nothing happens a millisecond before it.
    @Test func restartsWaitTheirBackoffOnTheManualClock() async throws {
        let clock = ManualClock()
        let system = try ActorSystem.forTesting(clock: clock)
        let backoff = try Backoff(initial: .milliseconds(100), maximum: .seconds(1), jitter: 0)
        let shop = try await Shop(in: system, intensity: try RestartIntensity(maxRestarts: 5, within: .seconds(60)), backoff: backoff)
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system, under: shop.path)

        for delay in [100, 200, 400] {
            let timers = clock.scheduledCount
            shop.account.trySend(.withdraw(1))
            try await lifecycle.expect(.failed(shop.account))
            try await clock.waitForTimers(count: timers + 1)  // the restart, scheduled
            clock.advance(by: .milliseconds(delay - 1))
            try lifecycle.expectNoPendingEvents()
            #expect(shop.account.ref?.state == .restarting)
            clock.advance(by: .milliseconds(1))
            try await lifecycle.expect(.started(shop.account))
        }
        #expect(try await shop.account.ask { .balance($0) } == 0)
        await system.shutdown()
    }

    /// An ask deadline: an account held inside a message does not answer; the ask fails
    /// with `.timedOut` exactly when the manual clock passes its deadline, never in real
    /// time, and the account answers again once released.
    @Test func anUnansweredAskTimesOutOnTheManualClock() async throws {
        let clock = ManualClock()
        let system = try ActorSystem.forTesting(clock: clock)
        let shop = try await Shop(in: system)
        let latch = Latch()
        shop.account.trySend(.hold(latch))
        try await latch.waitForArrivals(1)

        let timers = clock.scheduledCount
        async let failure: AskError? = {
            do throws(AskError) {
                _ = try await shop.account.ask(timeout: .seconds(2)) { .balance($0) }
                return nil
            } catch {
                return error
            }
        }()
        try await clock.waitForTimers(count: timers + 1)  // the ask's deadline sweep
        clock.advance(by: .seconds(2))
        let error = await failure
        #expect(error == .timedOut(after: .seconds(2)))

        latch.open()
        await shop.account.send(.deposit(5))
        #expect(try await shop.account.ask { .balance($0) } == 5)
        await system.shutdown()
    }
}
