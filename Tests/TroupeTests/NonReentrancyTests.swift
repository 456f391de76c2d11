import Testing
import Troupe
import TroupeTesting

/// The invariant: a balance never goes negative, checked before an `await` and relied on
/// after it. A Swift actor interleaves other calls at the `await`; a Troupe actor does not.
@Suite struct NonReentrancyTests {
    actor SwiftAccount {
        var balance = 100

        func withdraw(_ amount: Int, audit: Latch) async -> Bool {
            guard balance >= amount else { return false }
            await audit.wait()  // e.g. an audit log write
            balance -= amount
            return true
        }
    }

    enum AccountMessage: Sendable {
        case withdraw(Int, audit: Latch, ReplyTo<Bool>)
        case balance(ReplyTo<Int>)
    }

    struct Account: Behavior {
        var balance = 100

        mutating func receive(_ message: AccountMessage, context: ActorContext<AccountMessage>) async throws {
            switch message {
            case .withdraw(let amount, let audit, let reply):
                guard balance >= amount else { return reply.reply(false) }
                await audit.wait()
                balance -= amount
                reply.reply(true)
            case .balance(let reply):
                reply.reply(balance)
            }
        }
    }

    @Test func aSwiftActorBreaksTheInvariantAcrossAnAwait() async throws {
        let account = SwiftAccount()
        let audit = Latch()
        async let first = account.withdraw(60, audit: audit)
        async let second = account.withdraw(60, audit: audit)
        async let third = account.withdraw(60, audit: audit)
        // All three passed the balance check before any of them withdrew.
        try await audit.waitForArrivals(3)
        audit.open()
        let results = await [first, second, third]
        #expect(results == [true, true, true])
        #expect(await account.balance == -80)
    }

    @Test func aTroupeActorKeepsItAcrossTheSameAwait() async throws {
        let system = try ActorSystem.forTesting()
        let account = try await system.spawn("account", mailbox: mailbox(16)) { Account() }
        let audit = Latch()
        async let first = account.ask { .withdraw(60, audit: audit, $0) }
        async let second = account.ask { .withdraw(60, audit: audit, $0) }
        async let third = account.ask { .withdraw(60, audit: audit, $0) }
        try await audit.waitForArrivals(1)
        try await eventually("all three requests delivered") { account.metrics.enqueued == 3 }
        #expect(audit.arrivalCount == 1, "one withdrawal in its critical section, the others wait their turn")
        audit.open()
        let results = try await [first, second, third]
        #expect(results.filter { $0 }.count == 1)
        #expect(try await account.ask { .balance($0) } == 40)
        await system.shutdown()
    }
}
