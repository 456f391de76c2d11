// EmbeddedShop: a small service that embeds the Troupe runtime.
//
//   swift run -c release EmbeddedShop      (or: make run)
//
// It shows, in about a second:
//   1. a supervision tree: /root/shop with an order desk and a payment processor;
//   2. backpressure: 20 customers flood a desk whose mailbox holds 8 orders, so they
//      wait for room instead of growing a queue;
//   3. a crash recovered: the payment processor fails on a bad card, its supervisor
//      restarts it with fresh state, and the next orders go through;
//   4. a clean shutdown: every actor stops, last started first, and no task remains.
import Troupe

// MARK: Messages

enum DeskMessage: Sendable {
    case order(customer: Int, item: String, amount: Int)
    case summary(ReplyTo<String>)
}

enum PaymentMessage: Sendable {
    case charge(customer: Int, item: String, amount: Int, ReplyTo<Bool>)
    case charged(ReplyTo<Int>)
}

struct PaymentDeclined: Error, CustomStringConvertible {
    let customer: Int
    var description: String { "card of customer \(customer) is invalid" }
}

// MARK: Behaviors

/// Takes orders one at a time and charges each through the payment processor.
struct OrderDesk: Behavior {
    let payments: ChildRef<PaymentMessage>
    var accepted = 0
    var failed = 0

    mutating func receive(_ message: DeskMessage, context: ActorContext<DeskMessage>) async throws {
        switch message {
        case .order(let customer, let item, let amount):
            // One order at a time, awaits included: the desk's counters never race.
            do {
                _ = try await payments.ask(timeout: .seconds(1)) { .charge(customer: customer, item: item, amount: amount, $0) }
                accepted += 1
            } catch {
                failed += 1
            }
        case .summary(let reply):
            reply.reply("\(accepted) orders paid, \(failed) failed")
        }
    }
}

/// Charges cards. Customer 13's first order is paid with a bad card: the processor throws,
/// and its supervisor restarts it with fresh state (its running total starts again from
/// zero). The failed order's asker learns it at once (the request was dropped unanswered).
struct PaymentProcessor: Behavior {
    var total = 0

    mutating func started(context: ActorContext<PaymentMessage>) async throws {
        if context.restartCount > 0 {
            print("  payment processor restarted (restart #\(context.restartCount)), total reset to 0")
        }
    }

    mutating func receive(_ message: PaymentMessage, context: ActorContext<PaymentMessage>) async throws {
        switch message {
        case .charge(let customer, let item, let amount, let reply):
            if customer == 13 && item == "item-1" { throw PaymentDeclined(customer: customer) }
            total += amount
            reply.reply(true)
        case .charged(let reply):
            reply.reply(total)
        }
    }
}

// MARK: The service

@main
struct EmbeddedShop {
    static func main() async throws {
        let system = ActorSystem(name: "shop")

        // 1. The tree. A `ChildRef` is made with the processor's spec: typed, no path to
        //    spell, and stable across restarts, so the desk can hold it; the processor
        //    starts first, the desk second.
        let payments = ChildRef<PaymentMessage>()
        let paymentsSpec = try payments.childSpec("payments", mailbox: .init(capacity: 64)) { PaymentProcessor() }
        try await system.start(.supervisor("shop", SupervisorSpec(strategy: .oneForOne, children: [paymentsSpec])))
        let desk = try await system.spawn("desk", mailbox: .init(capacity: 8, overflow: .suspend())) {
            OrderDesk(payments: payments)
        }
        print("1. supervision tree:")
        print(system.tree().split(separator: "\n").map { "   " + $0 }.joined(separator: "\n"))

        // 2. Backpressure: 20 customers × 10 orders into a mailbox of 8.
        await withTaskGroup(of: Void.self) { customers in
            for customer in 1...20 {
                customers.addTask {
                    for order in 1...10 {
                        await desk.send(.order(customer: customer, item: "item-\(order)", amount: 5))
                    }
                }
            }
        }
        let deskMetrics = desk.metrics
        print("2. backpressure: 200 orders through a mailbox of \(deskMetrics.mailboxCapacity);"
            + " deepest queue \(deskMetrics.highWaterMark), none dropped (\(deskMetrics.dropped))")

        // 3. A crash, recovered by the supervisor.
        print("3. summary: \(try await desk.ask { .summary($0) })")
        print("   payment processor restarts: \(payments.ref?.metrics.restarts ?? 0); total since last restart: \(try await payments.ask { .charged($0) })")

        // 4. Clean shutdown.
        let report = await system.shutdown()
        print("4. shutdown completed=\(report.completed) in \(report.duration); tasks left: \(system.liveTaskCount)")
    }
}
