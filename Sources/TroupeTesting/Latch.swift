public import Testing
import Troupe

/// A one-shot gate: tasks `wait()` until someone calls `open()`; after that `wait()`
/// returns at once. Use it to hold an actor inside a handler while a test fills its
/// mailbox, or to line tasks up before releasing them together.
///
/// # Thread safety
/// All members may be called from any thread or task.
// Unchecked Sendable: `isOpen`, `waiters`, `arrivals` and `arrivalWaiters` are guarded by `lock`.
public final class Latch: @unchecked Sendable {
    private let lock = Lock()
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var arrivals = 0
    private var arrivalWaiters: [(Int, CheckedContinuation<Void, Never>)] = []

    /// A closed latch with no waiters.
    public init() {}

    /// Suspends until the latch is open.
    public func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let (passThrough, arrived): (Bool, [CheckedContinuation<Void, Never>]) = lock.withLock {
                arrivals += 1
                let ready = arrivalWaiters.filter { $0.0 <= arrivals }.map(\.1)
                arrivalWaiters.removeAll { $0.0 <= arrivals }
                if isOpen { return (true, ready) }
                waiters.append(continuation)
                return (false, ready)
            }
            for waiter in arrived { waiter.resume() }
            if passThrough { continuation.resume() }
        }
    }

    /// Opens the latch, releasing every waiter.
    public func open() {
        let released: [CheckedContinuation<Void, Never>] = lock.withLock {
            isOpen = true
            let released = waiters
            waiters.removeAll()
            return released
        }
        for waiter in released { waiter.resume() }
    }

    /// Waits (real time bounded) until at least `count` tasks have called ``wait()``. A
    /// timeout is reported at `sourceLocation` (see ``TestProbe``'s failures).
    public func waitForArrivals(
        _ count: Int, timeout: Duration = TestDefaults.timeout, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        try await reportingTimeout(at: sourceLocation) { try await waitForArrivals(count, timeout: timeout) }
    }

    private func waitForArrivals(_ count: Int, timeout: Duration) async throws {
        try await withRealTimeLimit(timeout, what: "\(count) arrival(s) at the latch", received: { [self] in "\(arrivalCount) arrived" }) {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = self.lock.withLock {
                    if self.arrivals >= count { return true }
                    self.arrivalWaiters.append((count, continuation))
                    return false
                }
                if ready { continuation.resume() }
            }
        } onTimeout: {
            let stale = self.lock.withLock {
                let stale = self.arrivalWaiters.map(\.1)
                self.arrivalWaiters.removeAll()
                return stale
            }
            for waiter in stale { waiter.resume() }
        }
    }

    /// How many tasks have called ``wait()`` so far.
    public var arrivalCount: Int {
        lock.withLock { arrivals }
    }
}

/// Waits until `condition` holds; fails after `timeout` of real time, reported at
/// `sourceLocation` (see ``TestProbe``'s failures). For conditions no event signals (a
/// counter in a snapshot); prefer a probe or latch when there is an event.
///
/// The first re-checks only yield the thread; after ``eventuallyYieldingPolls`` of them
/// each re-check waits a millisecond of real time first. A poll that only yielded would
/// keep a cooperative thread busy for as long as it waits: two such polls (two tests in
/// parallel) hold both of this machine's threads, and the task they wait for may then
/// not run before the timeout (seen under ThreadSanitizer). The pause is a poll interval,
/// not an assumption about how long anything takes.
public func eventually(
    _ description: String,
    timeout: Duration = TestDefaults.timeout,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: @escaping @Sendable () -> Bool
) async throws {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    var polls = 0
    while !condition() {
        if ContinuousClock.now >= deadline {
            try reportFailure(ProbeTimeout(expected: description, received: ""), at: sourceLocation)
        }
        polls += 1
        if polls <= eventuallyYieldingPolls {
            await Task.yield()
        } else {
            // Cancellation ends the pause early; the loop then reports the timeout as usual.
            try? await Task.sleep(for: .milliseconds(1))
        }
    }
}

/// How many re-checks of ``eventually(_:timeout:sourceLocation:_:)`` only yield before it
/// pauses between them.
let eventuallyYieldingPolls = 64
