import Glibc
public import Testing
import Troupe

/// A gate that *really* blocks the threads that wait at it (a pthread condition wait, not a
/// suspension), for tests of blocking pools: a job calls ``block()`` and its thread is held,
/// as a slow C call would hold it, until the test calls ``open()``.
///
/// ```swift
/// let gate = BlockingGate()
/// async let result = pool.run { gate.block(); return 42 }   // occupies a pool thread
/// try await gate.waitForArrivals(1)                          // it is blocked now
/// // ... check what the pool does with every thread busy ...
/// gate.open()
/// ```
///
/// A watchdog on real time opens the gate after `limit` whatever happens, so a test whose
/// threads can never all arrive (because they are, wrongly, cooperative-pool threads that
/// the test itself needs to make progress) fails instead of hanging the test process:
/// ``waitForArrivals(_:)`` throws and ``timedOut`` is true. A passing test never waits for
/// it.
///
/// Never call ``block()`` on the cooperative pool in a test that should pass: that is
/// exactly the mistake the gate exposes.
///
/// # Thread safety
/// All members may be called from any thread or task. `isOpen`, `arrivals`,
/// `arrivalWaiters`, `expired` and `watchdogFired` are only accessed while `lock` is held;
/// `condition` is waited on only with that lock and freed in `deinit`; `watchdog` is set
/// once, in `init`, and read only in `deinit`.
// Unchecked Sendable: the mutable state is guarded by `lock` (see # Thread safety).
public final class BlockingGate: @unchecked Sendable {
    private let lock = Lock()
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var isOpen = false
    private var arrivals = 0
    private var arrivalWaiters: [(count: Int, continuation: CheckedContinuation<Bool, Never>)] = []
    /// The watchdog opened the gate (the test was going to hang).
    private var expired = false
    /// The watchdog's time is up, whether or not the gate was open by then: from now on an
    /// arrival count that is not reached fails at once instead of waiting for ever.
    private var watchdogFired = false
    private var watchdog: ClockTimer?

    /// A closed gate whose watchdog opens it after `limit` of real time.
    public init(limit: Duration = TestDefaults.timeout) {
        condition = .allocate(capacity: 1)
        pthread_cond_init(condition, nil)
        watchdog = RealTime.clock.schedule(after: limit) { [weak self] in self?.expire() }
    }

    deinit {
        if let watchdog { RealTime.clock.cancel(watchdog) }
        pthread_cond_destroy(condition)
        condition.deallocate()
    }

    /// Blocks the calling thread until the gate opens (at once if it is open).
    public func block() {
        let ready: [CheckedContinuation<Bool, Never>] = lock.withLock {
            arrivals += 1
            let ready = arrivalWaiters.filter { $0.count <= arrivals }.map(\.continuation)
            arrivalWaiters.removeAll { $0.count <= arrivals }
            return ready
        }
        for waiter in ready { waiter.resume(returning: true) }
        lock.lock()
        while !isOpen { pthread_cond_wait(condition, lock.pointer) }
        lock.unlock()
    }

    /// Lets every blocked thread go, and every later one through at once.
    public func open() {
        lock.withLock { isOpen = true }
        pthread_cond_broadcast(condition)
        // The watchdog stays: it still bounds later `waitForArrivals` calls (it is cancelled
        // in `deinit`).
    }

    /// Suspends until at least `count` threads have called ``block()``.
    ///
    /// - Throws: ``ProbeTimeout`` if the watchdog fired first (it has opened the gate); in a
    ///   test, reported at `sourceLocation` as ``TestProbe``'s failures are.
    public func waitForArrivals(_ count: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let arrived = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let ready: Bool? = lock.withLock {
                if arrivals >= count { return true }
                if watchdogFired { return false }
                arrivalWaiters.append((count, continuation))
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
        if !arrived {
            try reportFailure(
                ProbeTimeout(expected: "\(count) thread(s) blocked at the gate", received: "\(arrivalCount) arrived"), at: sourceLocation
            )
        }
    }

    /// Threads that have called ``block()`` so far.
    public var arrivalCount: Int { lock.withLock { arrivals } }

    /// True if the watchdog had to open the gate (the test was going to hang).
    public var timedOut: Bool { lock.withLock { expired } }

    private func expire() {
        let (stale, mustOpen): ([CheckedContinuation<Bool, Never>], Bool) = lock.withLock {
            watchdogFired = true
            let mustOpen = !isOpen
            if mustOpen { expired = true }
            defer { arrivalWaiters.removeAll() }
            return (arrivalWaiters.map(\.continuation), mustOpen)
        }
        if mustOpen { open() }
        for waiter in stale { waiter.resume(returning: false) }
    }
}
