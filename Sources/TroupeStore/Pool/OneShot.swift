import Troupe

/// A value delivered once to one waiting task: how a result computed on a connection
/// thread (or a failure decided by an actor) reaches the caller that asked for it.
///
/// The first ``finish(_:)`` wins; later ones are ignored, so a job that completes on its
/// connection thread and a deadline that expires in an actor can race safely. Work that
/// starts ``claim()``s the one-shot first: from then on a cancelled caller keeps waiting for
/// the real outcome instead of being told its work did not happen while it runs.
/// ``wait(onCancel:)`` may be called once.
///
/// Not Troupe's `Completion` (many waiters, deadlines on a clock, untyped failures): a
/// request has one caller, its deadline is the pool's business, its value carries a typed
/// `DatabaseError`, and only this type knows that a claimed job outlives its caller's
/// cancellation. One of these is made per request, so it holds no more than that needs.
///
/// # Thread safety
/// All members may be called from any thread. A continuation is never resumed while the
/// lock is held.
// Unchecked Sendable: `state` and `claimed` are only accessed under `lock`; a continuation is taken out under it as `state` becomes `.finished`, so it is resumed once.
final class OneShot<Value: Sendable>: @unchecked Sendable {
    private enum State {
        case pending
        case waiting(UnsafeContinuation<Value, Never>)
        case finished(Value)
    }

    private let lock = Lock()
    private var state = State.pending
    private var claimed = false

    init() {}

    /// True once a value was delivered.
    var isFinished: Bool {
        lock.withLock {
            if case .finished = state { return true }
            return false
        }
    }

    /// Marks the work as started; false if a value was delivered already (the caller gave
    /// up: do not start).
    func claim() -> Bool {
        lock.withLock {
            if case .finished = state { return false }
            claimed = true
            return true
        }
    }

    /// Delivers `value` unless one was delivered already; returns whether this call did.
    @discardableResult
    func finish(_ value: Value) -> Bool {
        finish(value, unlessClaimed: false)
    }

    private func finish(_ value: Value, unlessClaimed: Bool) -> Bool {
        lock.lock()
        if unlessClaimed && claimed {
            lock.unlock()
            return false
        }
        let waiter: UnsafeContinuation<Value, Never>?
        switch state {
        case .pending:
            waiter = nil
        case .waiting(let continuation):
            waiter = continuation
        case .finished:
            lock.unlock()
            return false
        }
        state = .finished(value)
        lock.unlock()
        waiter?.resume(returning: value)
        return true
    }

    /// Suspends until a value is delivered (returns at once if it already was). If the
    /// calling task is cancelled before the work was claimed, delivers `onCancel()` instead.
    func wait(onCancel: @escaping @Sendable () -> Value) async -> Value {
        await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                lock.lock()
                if case .finished(let value) = state {
                    lock.unlock()
                    continuation.resume(returning: value)
                    return
                }
                state = .waiting(continuation)
                lock.unlock()
            }
        } onCancel: {
            _ = finish(onCancel(), unlessClaimed: true)
        }
    }
}
