import Synchronization
import Troupe
import TroupeBackend

/// What the server and all its loop threads share: the settings, the backend, the counters,
/// the listening socket, and the shutdown state.
///
/// # Concurrency contract
/// `Sendable`: lets, atomics and `Locked` values only.
final class ServerShared: Sendable {
    let configuration: ServerConfiguration
    let backend: Backend
    let counters = ServerCounters()
    let listenFD: Int32
    /// Set once by ``Server/shutdown(deadline:)``: loops stop accepting and answer new
    /// requests `-SHUTDOWN`.
    let draining = Atomic<Bool>(false)
    private let shutdownStarted = Atomic<Bool>(false)
    /// Monotonic nanoseconds after which draining loops close every connection.
    let drainDeadline = Atomic<Int64>(Int64.max)
    /// Loop threads still running; the last one to exit completes ``allExited``.
    private let running: Locked<Int>
    let allExited = Completion<Void>()
    /// Backend connections closed while draining: the server ends them itself (its
    /// dispatchers stop right after the loops).
    private let leftovers = Locked<[BackendConnection]>([])

    init(configuration: ServerConfiguration, backend: Backend, listenFD: Int32) {
        self.configuration = configuration
        self.backend = backend
        self.listenFD = listenFD
        running = Locked(configuration.loopThreads)
    }

    /// Starts draining; false if it had started already.
    func beginDrain(deadline: Int64) -> Bool {
        guard !shutdownStarted.exchange(true, ordering: .acquiringAndReleasing) else { return false }
        // The deadline before the flag: a loop that sees the flag sees the deadline.
        drainDeadline.store(deadline, ordering: .relaxed)
        draining.store(true, ordering: .releasing)
        return true
    }

    func handOver(_ connections: [BackendConnection]) {
        guard !connections.isEmpty else { return }
        leftovers.withLock { $0.append(contentsOf: connections) }
    }

    func takeLeftovers() -> [BackendConnection] {
        leftovers.withLock { list in
            defer { list = [] }
            return list
        }
    }

    /// A loop thread is about to return: its last act.
    func loopExited() {
        let last = running.withLock { count in
            count -= 1
            return count == 0
        }
        if last { _ = allExited.succeed(()) }
    }
}
