import Troupe
import TroupeTesting

/// An actor that records the numbers it is sent, and can be held inside a handler.
enum RecorderMessage: Sendable {
    /// Wait at the latch, then go on.
    case block(Latch)
    /// Wait at the latch, then stop itself.
    case blockThenStop(Latch)
    case record(Int)
    case get(ReplyTo<[Int]>)
    /// Drop the reply channel without answering.
    case ignore(ReplyTo<Int>)
    /// Keep the reply channel in state without answering.
    case hold(ReplyTo<Int>)
    /// Answer with an error.
    case refuse(ReplyTo<Int>)
}

struct Recorder: Behavior {
    var seen: [Int] = []
    var held: [ReplyTo<Int>] = []
    var probe: TestProbe<Int>?

    mutating func receive(_ message: RecorderMessage, context: ActorContext<RecorderMessage>) async throws {
        switch message {
        case .block(let latch):
            await latch.wait()
        case .blockThenStop(let latch):
            await latch.wait()
            context.stop()
        case .record(let value):
            seen.append(value)
            probe?.record(value)
        case .get(let reply):
            reply.reply(seen)
        case .ignore:
            break
        case .hold(let reply):
            held.append(reply)
        case .refuse(let reply):
            reply.fail(TestFailure("refused"))
        }
    }
}
