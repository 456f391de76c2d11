import Synchronization
import Troupe
import TroupeBackend

/// One connection's push sink: a bounded queue the backend's bus offers pushes into, which
/// the connection's loop drains between replies.
///
/// The bound is the connection's pending output as PROTOCOL.md counts it: bytes the loop
/// holds for the socket (``pendingOutput``, which the loop updates) plus the estimated size
/// of the pushes queued here. Past ``softLimit`` a push is refused and counted; replies are
/// never subject to it.
///
/// # Concurrency contract
/// `Sendable`. ``offer(_:)`` runs on the bus actor's thread; ``take()``, ``setPendingOutput(_:)``
/// and ``close()`` on the loop thread. The queue is behind a lock; the first push into an
/// empty queue posts one notice to the loop.
final class ConnectionOutbox: PushSink {
    private struct State {
        var pushes: [Push] = []
        var queuedBytes = 0
        var closed = false
    }

    let key: ConnectionKey
    private let inbox: LoopInbox
    private let counters: ServerCounters
    private let softLimit: Int
    private let state = Locked(State())
    private let pendingOutput = Atomic<Int>(0)

    init(key: ConnectionKey, inbox: LoopInbox, counters: ServerCounters, softLimit: Int) {
        self.key = key
        self.inbox = inbox
        self.counters = counters
        self.softLimit = softLimit
    }

    private enum Offer {
        case closed, refused, queuedFirst, queued
    }

    func offer(_ push: Push) -> Bool {
        let size = Self.estimatedSize(push)
        let pending = pendingOutput.load(ordering: .relaxed)
        let outcome: Offer = state.withLock { state in
            guard !state.closed else { return .closed }
            guard pending + state.queuedBytes + size <= softLimit else { return .refused }
            state.pushes.append(push)
            state.queuedBytes += size
            return state.pushes.count == 1 ? .queuedFirst : .queued
        }
        switch outcome {
        case .closed:
            return false  // the connection is gone: not a drop of a live connection
        case .refused:
            counters.pushesDropped.add(1, ordering: .relaxed)
            return false
        case .queuedFirst:
            // Posted outside the lock; later pushes ride on this notice until the loop takes them.
            inbox.post(.pushes(key))
            return true
        case .queued:
            return true
        }
    }

    /// The pushes queued so far, oldest first.
    func take() -> [Push] {
        state.withLock { state in
            defer {
                state.pushes = []
                state.queuedBytes = 0
            }
            return state.pushes
        }
    }

    /// The loop's pending output for this connection, in bytes.
    func setPendingOutput(_ bytes: Int) {
        pendingOutput.store(bytes, ordering: .relaxed)
    }

    /// The connection closed: later pushes are refused (and not counted as drops).
    func close() {
        state.withLock { state in
            state.closed = true
            state.pushes = []
            state.queuedBytes = 0
        }
    }

    /// A push's encoded size, near enough for a limit of megabytes: its texts plus a
    /// generous 16 bytes of framing per element.
    static func estimatedSize(_ push: Push) -> Int {
        push.elements.reduce(0) { total, element in
            switch element {
            case .bulk(let bytes): total + bytes.count + 16
            default: total + 24
            }
        }
    }
}
