import Troupe
import TroupeTesting

/// A counter actor used across tests.
enum CounterMessage: Sendable {
    case increment
    case add(Int)
    case get(ReplyTo<Int>)
    case fail
    case stop
}

struct Counter: Behavior {
    var value = 0
    var probe: TestProbe<String>?

    mutating func started(context: ActorContext<CounterMessage>) async throws {
        probe?.record("started \(context.path.name)")
    }

    mutating func receive(_ message: CounterMessage, context: ActorContext<CounterMessage>) async throws {
        switch message {
        case .increment: value += 1
        case .add(let amount): value += amount
        case .get(let reply): reply.reply(value)
        case .fail: throw TestFailure("asked to fail")
        case .stop: context.stop()
        }
    }

    mutating func stopping(context: ActorContext<CounterMessage>) async {
        probe?.record("stopping \(context.path.name)")
    }
}

struct TestFailure: Error, Equatable, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

func mailbox(_ capacity: Int, _ overflow: OverflowPolicy = .suspend(), batch: Int = 64) -> MailboxConfiguration {
    try! MailboxConfiguration(capacity: capacity, overflow: overflow, batchSize: batch)
}
