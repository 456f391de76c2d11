import Glibc
import Troupe

/// A gate for connection threads: a job calls ``wait()`` and its thread blocks (really
/// blocks, as a slow statement would) until the test calls ``open()``. The test can await
/// how many threads have arrived.
///
/// Blocking is the point: these calls run on the pool's connection threads, never on the
/// cooperative pool, and the tests check that.
// Unchecked Sendable: `isOpen`, `arrivals` and `arrivalWaiters` are only accessed under `lock`; `condition` waits only with it and is freed in `deinit`.
final class BlockingGate: @unchecked Sendable {
    private let lock = Lock()
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var isOpen = false
    private var arrivals = 0
    private var arrivalWaiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []

    init() {
        condition = .allocate(capacity: 1)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        condition.deallocate()
    }

    /// Blocks the calling thread until the gate is open.
    func wait() {
        let ready: [CheckedContinuation<Void, Never>] = lock.withLock {
            arrivals += 1
            let ready = arrivalWaiters.filter { $0.count <= arrivals }.map(\.continuation)
            arrivalWaiters.removeAll { $0.count <= arrivals }
            return ready
        }
        for waiter in ready { waiter.resume() }
        lock.lock()
        while !isOpen { pthread_cond_wait(condition, lock.pointer) }
        lock.unlock()
    }

    /// Releases every blocked thread, and every later one at once.
    func open() {
        lock.withLock { isOpen = true }
        pthread_cond_broadcast(condition)
    }

    /// Threads that have called ``wait()`` so far.
    var arrivalCount: Int { lock.withLock { arrivals } }

    /// Suspends until at least `count` threads have arrived.
    func arrivals(_ count: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = lock.withLock {
                if arrivals >= count { return true }
                arrivalWaiters.append((count, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }
}
