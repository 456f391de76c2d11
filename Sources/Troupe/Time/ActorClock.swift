/// The time source of an ``ActorSystem``: a `Clock` that can also fire scheduled timers.
///
/// The runtime never reads the wall clock for its logic (timers, ask and send deadlines,
/// restart backoff, restart intensity windows, passivation): it asks the system's clock.
/// ``SystemClock`` is the real, monotonic one; `ManualClock` (in `TroupeTesting`) only moves
/// when a test advances it, so timeouts and backoff are tested without sleeping.
///
/// # Contract for implementers
/// - `now` never decreases.
/// - `schedule(_:)` arranges for `timer.fire()` to be called once, on any thread, after `now`
///   has reached `timer.deadline`; timers with equal deadlines fire in scheduling order.
/// - `cancel(_:)` prevents a scheduled timer from firing and reports whether it did so.
/// - Both may be called from any thread, and from inside `fire()`.
public protocol ActorClock: Clock, Sendable where Instant == ClockInstant, Duration == Swift.Duration {
    /// Arranges for `timer.fire()` to be called when the clock reaches `timer.deadline`.
    /// A deadline in the past fires as soon as the clock gets to it (at once for a real clock).
    func schedule(_ timer: ClockTimer)

    /// Removes a scheduled timer. Returns `false` if it already fired or was not scheduled.
    @discardableResult
    func cancel(_ timer: ClockTimer) -> Bool
}

extension ActorClock {
    /// One nanosecond for every actor clock (the step of ``SystemClock``'s readings).
    public var minimumResolution: Duration { .nanoseconds(1) }

    /// Suspends until the clock reaches `deadline`; throws `CancellationError` if the task
    /// is cancelled first.
    public func sleep(until deadline: ClockInstant, tolerance: Duration? = nil) async throws {
        let sleeper = SleepTimer(deadline: deadline)
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
                if sleeper.install(continuation) {
                    schedule(sleeper)
                    // Cancelled between install and schedule: the handler could not
                    // unschedule it yet, so do it here (it has already resumed us).
                    if sleeper.isFinished { cancel(sleeper) }
                }
            }
        } onCancel: {
            // Whenever it comes, the first outcome wins (a timer that fired first keeps its).
            cancel(sleeper)
            sleeper.finish(.failure(CancellationError()))
        }
    }
}

/// A one-shot timer handed to an ``ActorClock``.
///
/// The runtime subclasses it internally (an `ask` waiting for its reply *is* its timer, so
/// a deadline costs no extra allocation). Clock implementers only read ``deadline`` and call
/// ``fire()``.
// Unchecked Sendable: `deadline` is immutable; `heapIndex` and `sequence` belong to the
// clock that scheduled the timer and are only touched under that clock's lock.
public class ClockTimer: @unchecked Sendable {

    /// When the timer is due.
    public let deadline: ClockInstant

    /// Position in the owning clock's heap, or -1 when not scheduled. Owned by the clock.
    package var heapIndex = -1
    /// Tie-breaker among equal deadlines (scheduling order). Owned by the clock.
    package var sequence: UInt64 = 0

    init(deadline: ClockInstant) {
        self.deadline = deadline
    }

    /// Called by the clock, once, when the deadline is reached.
    public final func fire() {
        expired()
    }

    /// What the timer does when it fires. Subclasses override; runs on the clock's thread,
    /// so it must be short and must not block.
    package func expired() {}
}

/// A timer that runs a closure.
// Unchecked Sendable: the only stored property is an immutable `@Sendable` closure.
package final class ActionTimer: ClockTimer, @unchecked Sendable {
    private let action: @Sendable () -> Void

    package init(deadline: ClockInstant, action: @escaping @Sendable () -> Void) {
        self.action = action
        super.init(deadline: deadline)
    }

    override package func expired() {
        action()
    }
}

/// The timer behind `ActorClock.sleep(until:)`: resumes its sleeper exactly once, whether
/// the deadline or a cancellation comes first.
// Unchecked Sendable: `state` is only accessed under `lock`.
private final class SleepTimer: ClockTimer, @unchecked Sendable {
    private enum State {
        case idle
        case waiting(UnsafeContinuation<Void, any Error>)
        case finished(Result<Void, any Error>)
    }

    private let lock = Lock()
    private var state = State.idle

    /// Stores the continuation; returns `false` (and resumes it) if the sleep already ended.
    func install(_ continuation: UnsafeContinuation<Void, any Error>) -> Bool {
        let earlier: Result<Void, any Error>? = lock.withLock {
            if case .finished(let result) = state { return result }
            state = .waiting(continuation)
            return nil
        }
        guard let earlier else { return true }
        continuation.resume(with: earlier)
        return false
    }

    /// True once the sleep has its outcome.
    var isFinished: Bool {
        lock.withLock {
            if case .finished = state { return true }
            return false
        }
    }

    func finish(_ result: Result<Void, any Error>) {
        let continuation: UnsafeContinuation<Void, any Error>? = lock.withLock {
            switch state {
            case .idle:
                state = .finished(result)
                return nil
            case .waiting(let continuation):
                state = .finished(result)
                return continuation
            case .finished:
                return nil
            }
        }
        continuation?.resume(with: result)
    }

    override func expired() {
        finish(.success(()))
    }
}
