/// A value behind the runtime's ``Lock``: the drop-in for `Synchronization.Mutex` inside
/// this package, because ThreadSanitizer understands a pthread mutex and reports false races
/// on the futex `Mutex` uses on Linux. Same rules as ``Lock``: the body never suspends,
/// never calls user code, never resumes a continuation.
// Unchecked Sendable: `stored` is read and written only inside `withLock`, while `lock` (a
// pthread mutex) is held, and `Value` is Sendable, so handing it between threads is safe.
package final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = Lock()
    private var stored: Value

    package init(_ value: Value) {
        stored = value
    }

    /// Runs `body` with exclusive access to the value.
    @inlinable
    package func withLock<Result, E: Error>(_ body: (inout Value) throws(E) -> Result) throws(E) -> Result {
        try withLockUnchecked(body)
    }

    /// A copy of the value now.
    package var value: Value { withLock { $0 } }

    @usableFromInline
    func withLockUnchecked<Result, E: Error>(_ body: (inout Value) throws(E) -> Result) throws(E) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&stored)
    }
}
