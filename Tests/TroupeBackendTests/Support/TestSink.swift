import Troupe
import TroupeBackend

/// A connection's outbound buffer as the front would have it: bounded, never blocking,
/// counting what it drops. Records every push it takes.
final class TestSink: PushSink {
    private let state: Locked<(pushes: [Push], dropped: Int)>
    let capacity: Int

    init(capacity: Int = 100_000) {
        self.capacity = capacity
        state = Locked(([], 0))
    }

    func offer(_ push: Push) -> Bool {
        state.withLock { state in
            guard state.pushes.count < capacity else {
                state.dropped += 1
                return false
            }
            state.pushes.append(push)
            return true
        }
    }

    var pushes: [Push] { state.withLock { $0.pushes } }
    var dropped: Int { state.withLock { $0.dropped } }
}
