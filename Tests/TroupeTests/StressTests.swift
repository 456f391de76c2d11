import Synchronization
import Testing
import Troupe
import TroupeTesting

/// Counts send outcomes from many tasks. (The runtime's pthread `Lock`, not `Mutex`:
/// ThreadSanitizer on Linux does not model `Mutex` and would report false races.)
// Unchecked Sendable: `storage` is only accessed under `lock`.
final class OutcomeTally: @unchecked Sendable {
    private let lock = Lock()
    private var storage: [SendOutcome: Int] = [:]
    func add(_ outcome: SendOutcome) { lock.withLock { storage[outcome, default: 0] += 1 } }
    var counts: [SendOutcome: Int] { lock.withLock { storage } }
}

@Suite struct StressTests {
    /// Checks every sender's sequence: each message exactly once, in the order it was sent.
    struct SequenceChecker: Behavior {
        let senders: Int
        let perSender: Int
        let done: Latch
        var next: [Int]
        var total = 0
        var violations: [String] = []

        init(senders: Int, perSender: Int, done: Latch) {
            self.senders = senders
            self.perSender = perSender
            self.done = done
            next = Array(repeating: 0, count: senders)
        }

        mutating func receive(_ message: Message, context: ActorContext<Message>) async throws {
            switch message {
            case .item(let sender, let sequence):
                if sequence != next[sender] { violations.append("sender \(sender): got \(sequence), expected \(next[sender])") }
                next[sender] = sequence + 1
                total += 1
                if total == senders * perSender { done.open() }
            case .report(let reply):
                reply.reply(Report(total: total, complete: next.allSatisfy { $0 == perSender }, violations: violations))
            }
        }

        enum Message: Sendable {
            case item(sender: Int, sequence: Int)
            case report(ReplyTo<Report>)
        }

        struct Report: Sendable, Equatable {
            let total: Int
            let complete: Bool
            let violations: [String]
        }
    }

    @Test func thousandSendersIntoCapacitySixteenLoseNothingAndKeepOrder() async throws {
        let system = try ActorSystem.forTesting()
        let senders = 1_000
        let perSender = 100
        let done = Latch()
        let checker = try await system.spawn("checker", mailbox: mailbox(16, .suspend())) {
            SequenceChecker(senders: senders, perSender: perSender, done: done)
        }
        let outcomes = OutcomeTally()
        await withTaskGroup(of: Void.self) { group in
            for sender in 0..<senders {
                group.addTask {
                    for sequence in 0..<perSender {
                        let outcome = await checker.send(.item(sender: sender, sequence: sequence))
                        outcomes.add(outcome)
                    }
                }
            }
        }
        await done.wait()
        let report = try await checker.ask { .report($0) }
        #expect(report == .init(total: senders * perSender, complete: true, violations: []))
        #expect(outcomes.counts == [.enqueued: senders * perSender])
        #expect(checker.metrics.highWaterMark <= 16)
        #expect(system.deadLetters.total == 0)
        let shutdown = await system.shutdown()
        #expect(shutdown.completed)
        #expect(system.liveTaskCount == 0)
        #expect(system.liveActorCount == 0)
    }
}
