import Synchronization

/// A one-way switch that tasks can wait for: ``fire()`` once, and every ``wait()`` in
/// progress or to come returns. A wait also returns when its task is cancelled, so a task
/// can race it against other work in a task group and cancel the loser.
///
/// Used by the event bus: a subscription's forwarder waits for room in the subscriber's
/// mailbox *or* the end of the subscription, whichever comes first, so that a removed
/// subscription's forwarder never lingers in a wait for room that may never come.
///
/// # Concurrency contract
/// Every member may be called from any task or thread. `isFired` is a lock-free read (for
/// publishers' hot path); the waiters are guarded by `lock`, and continuations are resumed
/// after it is released.
// Unchecked Sendable: `waiters` and `nextToken` are only accessed under `lock` (a pthread mutex); `fired` is an atomic, set under it.
final class EndSignal: @unchecked Sendable {
    private let lock = Lock()
    private let fired = Atomic<Bool>(false)
    private var waiters: [UInt64: UnsafeContinuation<Void, Never>] = [:]
    private var nextToken: UInt64 = 0

    init() {}

    /// True once ``fire()`` has been called.
    var isFired: Bool { fired.load(ordering: .acquiring) }

    /// Fires the signal, releasing every waiter; true for the one call that did it.
    @discardableResult
    func fire() -> Bool {
        let released: [UnsafeContinuation<Void, Never>]? = lock.withLock {
            guard !fired.load(ordering: .relaxed) else { return nil }
            fired.store(true, ordering: .releasing)
            let released = Array(waiters.values)
            waiters.removeAll()
            return released
        }
        guard let released else { return false }
        for waiter in released { waiter.resume() }
        return true
    }

    /// Returns once the signal has fired or the calling task is cancelled.
    func wait() async {
        let token: UInt64 = lock.withLock {
            nextToken &+= 1
            return nextToken
        }
        await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                // Checked under the lock: a cancellation handler that runs after this sees
                // the waiter; one that ran before set the flag this reads.
                let now: Bool = lock.withLock {
                    if fired.load(ordering: .relaxed) || Task.isCancelled { return true }
                    waiters[token] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = lock.withLock { waiters.removeValue(forKey: token) }
            waiter?.resume()
        }
    }
}
