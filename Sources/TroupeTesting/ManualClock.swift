public import Testing
public import Troupe

/// A clock that only moves when told to, for tests of timeouts, backoff, TTLs and
/// passivation that run in microseconds and never sleep.
///
/// ```swift
/// let clock = ManualClock()
/// let system = ActorSystem(configuration: try .init(clock: clock))
/// // ... make an actor fail; its supervisor schedules a 100 ms backoff ...
/// try await clock.waitForTimers(count: 1)
/// clock.advance(by: .milliseconds(100))   // the restart happens now
/// ```
///
/// Timers due during an advance fire in deadline order (ties in scheduling order), each
/// with `now` set to its own deadline, synchronously inside `advance`; timers they schedule
/// that fall within the advance fire too. A timer scheduled at or before `now` fires at the
/// next advance (`advance(by: .zero)` flushes them).
///
/// # Thread safety
/// All members may be called from any thread.
// Unchecked Sendable: `current`, `heap`, `waiters` and `nextWaiter` are guarded by `lock`.
public final class ManualClock: ActorClock, @unchecked Sendable {
    private let lock = Lock()
    private var current: ClockInstant
    private var heap = TimerHeap()
    private var waiters: [(token: UInt64, count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    private var nextWaiter: UInt64 = 0

    /// A clock whose time starts at `start`.
    public init(start: ClockInstant = .zero) {
        current = start
    }

    /// The current time; it changes only by ``advance(by:)``, ``advance(to:)`` and
    /// ``advanceToNextTimer()``.
    public var now: ClockInstant {
        lock.withLock { current }
    }

    /// Adds `timer`; it fires during the first advance that reaches its deadline (even a
    /// deadline already past), never here. Wakes the ``waitForTimers(count:timeout:)``
    /// callers whose count is now reached.
    public func schedule(_ timer: ClockTimer) {
        let ready: [CheckedContinuation<Void, Never>] = lock.withLock {
            heap.insert(timer)
            let count = heap.count
            let ready = waiters.filter { $0.count <= count }.map(\.continuation)
            waiters.removeAll { $0.count <= count }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }

    /// Removes `timer` if it has not fired yet; returns whether it was scheduled.
    @discardableResult
    public func cancel(_ timer: ClockTimer) -> Bool {
        lock.withLock { heap.remove(timer) }
    }

    /// Moves time forward by `duration`, firing every timer that comes due.
    public func advance(by duration: Duration) {
        precondition(duration >= .zero, "time only moves forward")
        advance(to: now.advanced(by: duration))
    }

    /// Moves time forward to `instant` (no-op if it is in the past), firing due timers.
    public func advance(to instant: ClockInstant) {
        while true {
            let due: ClockTimer? = lock.withLock {
                guard let first = heap.first, first.deadline <= instant else {
                    if instant > current { current = instant }
                    return nil
                }
                heap.remove(first)
                if first.deadline > current { current = first.deadline }
                return first
            }
            guard let due else { return }
            due.fire()
        }
    }

    /// Moves time to the earliest scheduled deadline and fires what is due then.
    /// Returns that deadline, or nil if nothing is scheduled.
    @discardableResult
    public func advanceToNextTimer() -> ClockInstant? {
        guard let next = nextDeadline else { return nil }
        advance(to: next)
        return next
    }

    /// The earliest scheduled deadline.
    public var nextDeadline: ClockInstant? {
        lock.withLock { heap.first?.deadline }
    }

    /// Every scheduled deadline, earliest first.
    public var scheduledDeadlines: [ClockInstant] {
        lock.withLock { heap.deadlines }
    }

    /// Number of scheduled timers.
    public var scheduledCount: Int {
        lock.withLock { heap.count }
    }

    /// Waits until at least `count` timers are scheduled (for example, until a supervisor
    /// has scheduled a backoff restart), so that the next `advance` finds them. Throws
    /// ``ProbeTimeout`` if that does not happen within `timeout` of real time (in a test,
    /// the timeout is reported at `sourceLocation`, as ``TestProbe``'s failures are).
    public func waitForTimers(
        count: Int, timeout: Duration = TestDefaults.timeout, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        try await reportingTimeout(at: sourceLocation) { try await waitForTimers(count: count, timeout: timeout) }
    }

    private func waitForTimers(count: Int, timeout: Duration) async throws {
        let token = lock.withLock {
            defer { nextWaiter &+= 1 }
            return nextWaiter
        }
        try await withRealTimeLimit(timeout, what: "\(count) scheduled timer(s), have \(self.scheduledCount)") {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = self.lock.withLock {
                    if self.heap.count >= count { return true }
                    self.waiters.append((token, count, continuation))
                    return false
                }
                if ready { continuation.resume() }
            }
        } onTimeout: {
            // Release this waiter (only this one: others still wait for their counts).
            let stale = self.lock.withLock {
                let stale = self.waiters.first { $0.token == token }?.continuation
                self.waiters.removeAll { $0.token == token }
                return stale
            }
            stale?.resume()
        }
    }
}
