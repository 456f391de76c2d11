import CLibPQ
import CSQLite
import Synchronization
import Troupe

/// A switch another thread flips to stop a connection's work: the statement running now is
/// interrupted, and every later statement on the connection (except `rollback`) fails at
/// once with `unavailable`. It stays raised: the connection is about to be closed.
///
/// This is how a pool that stops does not wait for a slow query. The connection registers
/// what can interrupt it while it is open:
/// - SQLite: its handle, for `sqlite3_interrupt`. A progress handler also checks the switch
///   every 1,000 virtual-machine instructions, so a statement that starts just after the
///   switch was raised (when `sqlite3_interrupt` finds nothing to interrupt) stops too.
///   A statement waiting for another connection's write lock is bounded by the busy
///   timeout instead: SQLite's busy handler does not look at interrupts.
/// - PostgreSQL: a `PGcancel` (renewed after every reconnect, since it names the server
///   process), for `PQcancel`: the server cancels the running statement (SQLSTATE 57014).
///   `PQcancel` connects to the server and waits for its answer, so it runs on a short-lived
///   thread of its own, which the connection's thread joins before it closes the session.
///   A cancel that reaches the server between two statements cancels nothing; the next
///   statement is refused by the switch itself, and one already on its way is bounded by
///   `statement_timeout`.
///
/// # Thread safety
/// Any thread; ``raise()`` never blocks (the lock is never held across a network call),
/// so an actor or a task cancellation handler may call it. `isRaised` is a lock-free read
/// (the SQLite progress handler reads it constantly). A `PGcancel` is freed only on the
/// connection's thread, after the cancel thread that uses it has been joined, so no thread
/// interrupts through a handle that is gone.
// Unchecked Sendable: `target` and `canceller` are only accessed under `lock`; `raised` is an atomic; a PGcancel is freed only after the cancel thread using it is joined.
final class ConnectionInterrupt: @unchecked Sendable {
    /// What the open connection can be interrupted through.
    enum Target {
        /// A `sqlite3 *` (not owned: the connection closes it after detaching).
        case sqlite(OpaquePointer)
        /// A `PGcancel *` (owned: freed when replaced or detached).
        case postgres(OpaquePointer)
    }

    private let lock = Lock()
    private let raised = Atomic<Bool>(false)
    private var target: Target?
    /// The thread sending `PQcancel`, until the connection's thread joins it.
    private var canceller: RuntimeThread?

    init() {}

    deinit {
        // The cancel thread holds no reference to this object, so it is never this thread.
        detach()
    }

    /// True once ``raise()`` was called.
    var isRaised: Bool { raised.load(ordering: .acquiring) }

    /// Registers the open connection's handle, replacing (and freeing) an earlier one.
    /// Called on the connection's thread.
    func attach(_ new: Target) {
        let (old, thread) = lock.withLock {
            defer {
                target = new
                canceller = nil
            }
            return (target, canceller)
        }
        release(old, after: thread)
    }

    /// Unregisters the connection's handle before it is closed, after waiting for a cancel
    /// in flight. Called on the connection's thread.
    func detach() {
        let (old, thread) = lock.withLock {
            defer {
                target = nil
                canceller = nil
            }
            return (target, canceller)
        }
        release(old, after: thread)
    }

    /// Frees a handle that is no longer registered, once the cancel thread using it ended.
    private func release(_ old: Target?, after canceller: RuntimeThread?) {
        canceller?.join()
        if case .postgres(let cancel) = old { PQfreeCancel(cancel) }
    }

    /// Raises the switch and interrupts the statement running now, if any. Never blocks.
    func raise() {
        let first = !raised.exchange(true, ordering: .acquiringAndReleasing)
        lock.withLock {
            switch target {
            case .sqlite(let handle):
                sqlite3_interrupt(handle)
            case .postgres(let cancel) where first:
                // The handle stays registered, hence alive, until this thread is joined. (Its
                // address crosses threads as an integer: a pointer is not Sendable.)
                let address = UInt(bitPattern: cancel)
                canceller = RuntimeThread.start(name: "troupe-db-cancel") {
                    if let cancel = OpaquePointer(bitPattern: address) { Self.sendCancel(cancel) }
                }
            case .postgres, nil:
                break
            }
        }
    }

    /// On the cancel thread: asks the server to cancel the session's running statement. A
    /// failed cancel (the server is gone) leaves nothing to interrupt: the statement fails
    /// on its own as its connection drops.
    private static func sendCancel(_ cancel: OpaquePointer) {
        var message = [CChar](repeating: 0, count: 256)
        _ = PQcancel(cancel, &message, Int32(message.count))
    }

    /// Throws ``stoppedError`` once the switch is raised.
    func check() throws(DatabaseError) {
        if isRaised { throw Self.stoppedError }
    }

    /// Why a statement of an interrupted connection failed.
    static let stoppedError = DatabaseError(
        .unavailable, reason: "the connection was interrupted because its pool is stopping",
        remedy: "The statement was stopped and its transaction rolled back (or it never ran): retry once the pool is running again."
    )

    /// `error` as the caller should see it: an interruption caused by this switch is the
    /// pool stopping, not a timeout of the statement.
    func explain(_ error: DatabaseError) -> DatabaseError {
        guard error.kind == .timeout, isRaised else { return error }
        return DatabaseError(.unavailable, reason: "\(Self.stoppedError.reason) (\(error.reason))", code: error.code, remedy: Self.stoppedError.remedy)
    }
}
