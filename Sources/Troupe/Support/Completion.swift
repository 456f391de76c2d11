import Synchronization

/// A result that arrives once, awaited by any number of tasks, each with an optional
/// deadline on the system's clock.
///
/// Used for "this child has started", "this incarnation has ended", "the system has shut
/// down". Completing it twice keeps the first result. A waiter's deadline timer is
/// cancelled when the result arrives first, so no stale timer stays scheduled.
@usableFromInline
// Unchecked Sendable: `result`, `waiters` and `nextWaiter` are only accessed under `lock`;
// `completed` is an atomic, set under it.
package final class Completion<Value: Sendable>: @unchecked Sendable {
    private struct Waiter {
        let continuation: UnsafeContinuation<Result<Value, any Error>?, Never>
        var timer: (ClockTimer, any ActorClock)?
    }

    private let lock = Lock()
    private var result: Result<Value, any Error>?
    private var waiters: [UInt64: Waiter] = [:]
    private var nextWaiter: UInt64 = 0
    /// Mirrors `result != nil` for ``isComplete``, a lock-free read.
    private let completed = Atomic<Bool>(false)

    @usableFromInline
    package init() {}

    /// True once the result has arrived; lock-free, for hot paths that only need to know.
    package var isComplete: Bool {
        completed.load(ordering: .acquiring)
    }

    /// The result, if it has arrived.
    package var current: Result<Value, any Error>? {
        lock.withLock { result }
    }

    /// Completes with `result` unless already completed; returns whether this call did.
    @discardableResult
    @usableFromInline
    package func complete(_ result: Result<Value, any Error>) -> Bool {
        let toResume: [Waiter]? = lock.withLock {
            guard self.result == nil else { return nil }
            self.result = result
            completed.store(true, ordering: .releasing)
            let waiting = Array(waiters.values)
            waiters.removeAll()
            return waiting
        }
        guard let toResume else { return false }
        for waiter in toResume {
            if let (timer, clock) = waiter.timer { clock.cancel(timer) }
            waiter.continuation.resume(returning: result)
        }
        return true
    }

    @discardableResult
    @usableFromInline
    package func succeed(_ value: Value) -> Bool { complete(.success(value)) }

    @discardableResult
    @usableFromInline
    package func fail(_ error: any Error) -> Bool { complete(.failure(error)) }

    /// Waits for the result.
    @usableFromInline
    package func wait() async -> Result<Value, any Error> {
        // Without a deadline the wait can only end with a result.
        await wait(until: nil, clock: nil)!
    }

    /// Waits for the result unless the calling task is cancelled first (then nil), so a task
    /// can race it against other work in a task group and cancel the loser.
    package func waitUnlessCancelled() async -> Result<Value, any Error>? {
        let token: UInt64 = lock.withLock {
            defer { nextWaiter &+= 1 }
            return nextWaiter
        }
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<Value, any Error>?, Never>) in
                // Checked under the lock: a cancellation handler that runs after this finds
                // the waiter; one that ran before had set the flag read here.
                let (ready, done): (Result<Value, any Error>?, Bool) = lock.withLock {
                    if let result { return (result, true) }
                    if Task.isCancelled { return (nil, true) }
                    waiters[token] = Waiter(continuation: continuation, timer: nil)
                    return (nil, false)
                }
                if done { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = lock.withLock { waiters.removeValue(forKey: token) }
            waiter?.continuation.resume(returning: nil)
        }
    }

    /// Waits for the result until `deadline` on `clock`; nil if the deadline came first.
    @usableFromInline
    package func wait(until deadline: ClockInstant?, clock: (any ActorClock)?) async -> Result<Value, any Error>? {
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<Value, any Error>?, Never>) in
            let (ready, token): (Result<Value, any Error>?, UInt64) = lock.withLock {
                if let result { return (result, 0) }
                let token = nextWaiter
                nextWaiter &+= 1
                waiters[token] = Waiter(continuation: continuation, timer: nil)
                return (nil, token)
            }
            if let ready {
                continuation.resume(returning: ready)
                return
            }
            guard let deadline, let clock else { return }
            let timer = ActionTimer(deadline: deadline) { [self] in
                let expired = lock.withLock { waiters.removeValue(forKey: token) }
                expired?.continuation.resume(returning: nil)
            }
            // Scheduled outside the lock (a clock may resume its own waiters, or fire a due
            // timer, inside `schedule`: Lock.swift's rule), then recorded for `complete` to
            // cancel. If the waiter is gone by then (completed, or this timer already fired),
            // nobody else will cancel it, so it is cancelled here: no stale timer stays.
            clock.schedule(timer)
            let recorded = lock.withLock {
                guard waiters[token] != nil else { return false }
                waiters[token]?.timer = (timer, clock)
                return true
            }
            if !recorded { clock.cancel(timer) }
        }
    }
}
