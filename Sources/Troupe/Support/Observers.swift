import Synchronization

/// A set of callbacks for events of one kind.
///
/// Emitting costs one atomic load when nobody observes, so the runtime can emit on hot
/// paths. Observers run synchronously on the emitting thread, outside every runtime lock,
/// and must be quick.
@usableFromInline
// Unchecked Sendable: `callbacks` and `nextToken` are guarded by `lock`; `count` is atomic.
package final class Observers<Event: Sendable>: @unchecked Sendable {
    private let lock = Lock()
    private var callbacks: [UInt64: @Sendable (Event) -> Void] = [:]
    private var nextToken: UInt64 = 1
    private let count = Atomic<Int>(0)

    package init() {}

    @usableFromInline
    package var isEmpty: Bool { count.load(ordering: .acquiring) == 0 }

    package func add(_ callback: @escaping @Sendable (Event) -> Void) -> UInt64 {
        let token = lock.withLock {
            let token = nextToken
            nextToken += 1
            callbacks[token] = callback
            return token
        }
        count.add(1, ordering: .releasing)
        return token
    }

    package func remove(_ token: UInt64) {
        let removed = lock.withLock { callbacks.removeValue(forKey: token) != nil }
        if removed { count.subtract(1, ordering: .releasing) }
    }

    @usableFromInline
    package func emit(_ event: @autoclosure () -> Event) {
        guard !isEmpty else { return }
        let current = lock.withLock { Array(callbacks.values) }
        let value = event()
        for callback in current { callback(value) }
    }
}
