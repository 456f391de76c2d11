import Glibc
import Troupe
import TroupeTesting

/// A gate that *really* blocks the threads that wait at it (a pthread condition wait, not a
/// suspension), for tests of code that must never block Swift's cooperative pool.
///
/// A watchdog on its own real clock opens the gate after `limit` whatever happens, so a
/// test whose threads can never all arrive (because they are, wrongly, cooperative-pool
/// threads that the test itself needs) fails instead of hanging the test process.
// @unchecked Sendable: every mutable field is guarded by `lock`; `condition` is used
// only with that lock.
final class BlockingGate: @unchecked Sendable {
    private let lock = Lock()
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var isOpen = false
    private var arrivals = 0
    private var arrivalWaiters: [(count: Int, continuation: CheckedContinuation<Bool, Never>)] = []
    private var expired = false
    private let watchdogClock = SystemClock()
    private var watchdog: ClockTimer?

    init(limit: Duration = TestDefaults.timeout) {
        condition = .allocate(capacity: 1)
        pthread_cond_init(condition, nil)
        let timer = ActionTimer(deadline: watchdogClock.now.advanced(by: limit)) { [weak self] in self?.expire() }
        watchdog = timer
        watchdogClock.schedule(timer)
    }

    deinit {
        pthread_cond_destroy(condition)
        condition.deallocate()
    }

    /// Blocks the calling thread until the gate opens.
    func block() {
        lock.lock()
        arrivals += 1
        let ready = arrivalWaiters.filter { $0.count <= arrivals }.map(\.continuation)
        arrivalWaiters.removeAll { $0.count <= arrivals }
        lock.unlock()
        for waiter in ready { waiter.resume(returning: true) }
        lock.lock()
        while !isOpen { pthread_cond_wait(condition, lock.pointer) }
        lock.unlock()
    }

    /// Lets every blocked thread go, and all later ones through.
    func open() {
        lock.withLock { isOpen = true }
        pthread_cond_broadcast(condition)
        if let watchdog { watchdogClock.cancel(watchdog) }
    }

    /// Waits until `count` threads are blocked at the gate. Throws if the watchdog fired
    /// first (it has opened the gate by then).
    func waitForArrivals(_ count: Int) async throws {
        let arrived = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let ready: Bool? = lock.withLock {
                if arrivals >= count { return true }
                if expired { return false }
                arrivalWaiters.append((count, continuation))
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
        if !arrived { throw TestFailure("only \(arrivalCount) of \(count) threads arrived at the gate") }
    }

    var arrivalCount: Int { lock.withLock { arrivals } }

    /// True if the watchdog had to open the gate.
    var timedOut: Bool { lock.withLock { expired } }

    private func expire() {
        let stale: [CheckedContinuation<Bool, Never>] = lock.withLock {
            if isOpen { return [] }
            expired = true
            let stale = arrivalWaiters.map(\.continuation)
            arrivalWaiters.removeAll()
            return stale
        }
        open()
        for waiter in stale { waiter.resume(returning: false) }
    }
}
