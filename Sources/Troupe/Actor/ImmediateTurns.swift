import Glibc

/// Runs one message for an idle actor on the sender's thread (an *immediate turn*).
///
/// # Why
/// An actor's incarnation waits while its mailbox is empty: its task parked on a
/// continuation, or dormant with no task (``ParkedConsumer``). Waking it (resume or a new
/// task, executor hand-off, task switch) is most of what a hop costs; an ask
/// pays it twice. When the target is idle, the sender can instead run the message's
/// handler itself, holding the actor's turn, if the behavior can handle it without
/// suspending (``Behavior/receiveImmediately(_:context:)``). Nothing is woken, and an ask
/// answered there completes before the asker would have suspended.
///
/// # What stays true
/// - One message at a time: the turn is taken under the cell's lock by taking its parked
///   consumer (so no other sender can take a turn or wake the task), and given back
///   under the lock.
/// - Mailbox order: a turn is taken only when both lanes are empty; messages that arrive
///   during it queue behind, and the task is woken for them when the turn ends. A message
///   the behavior declines is put back at the front and the task is woken for it.
/// - Deadlines: the handler cannot suspend, so an ask's deadline is never held up by a
///   turn running on the asker's own thread.
/// - Bounded nesting: a handler that sends to another idle actor may run that one's turn
///   too, at most ``ActorSystem/Configuration/immediateTurnDepth`` deep per thread; past
///   that the message is queued and the task woken, as without turns. (A ring of actors
///   passing a token would otherwise recurse without end.)
///
/// The depth is per thread, not per task: a turn never suspends, so the thread it starts
/// on is the thread it ends on.
@usableFromInline
enum ImmediateTurns {
    /// The depth of immediate turns running on this thread, stored in a thread-specific
    /// slot as a pointer-sized integer (no allocation; absent means 0).
    static let depthKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// The current thread's nesting depth.
    @usableFromInline
    static var depth: Int {
        Int(bitPattern: pthread_getspecific(depthKey))
    }

    /// True if this thread may run one more nested turn under `limit`.
    @inlinable
    static func mayEnter(limit: Int) -> Bool {
        depth < limit
    }

    /// Marks a turn of `cell` as started on this thread; returns what to restore.
    @usableFromInline
    static func enter(_ cell: CellBase) -> Outer {
        let outer = Outer(depth: depth, cell: pthread_getspecific(cellKey))
        pthread_setspecific(depthKey, UnsafeRawPointer(bitPattern: outer.depth &+ 1))
        pthread_setspecific(cellKey, Unmanaged.passUnretained(cell).toOpaque())
        return outer
    }

    /// Marks the turn as ended, back to the enclosing one (if any).
    @usableFromInline
    static func leave(restoring outer: Outer) {
        pthread_setspecific(depthKey, UnsafeRawPointer(bitPattern: outer.depth))
        pthread_setspecific(cellKey, outer.cell)
    }

    /// True if this thread is running an immediate turn of `cell` (the innermost one):
    /// then it owns the cell's incarnation-owned fields (``CellBase/assertOwnedByIncarnation(orBetweenIncarnations:_:file:line:)``).
    static func isRunningTurn(of cell: CellBase) -> Bool {
        pthread_getspecific(cellKey) == UnsafeMutableRawPointer(Unmanaged.passUnretained(cell).toOpaque())
    }

    /// The innermost turn's cell on this thread (unretained: the turn's caller holds a
    /// reference for the turn's whole length).
    static let cellKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// The enclosing turn of a thread, restored when a nested one ends.
    @usableFromInline
    struct Outer {
        @usableFromInline let depth: Int
        @usableFromInline let cell: UnsafeMutableRawPointer?
    }
}

/// How an immediate turn ended, for the cell to give the turn back.
@usableFromInline
enum ImmediateTurnOutcome {
    /// Handled; the actor may stay parked.
    case handled
    /// The behavior declined: the message goes back to the front of the lane for the task.
    case declined
    /// Handled, but the task must run its loop: the handler stopped the actor or threw.
    case needsLoop
}

/// Runs one message in an immediate turn of the given cell (a ``BehaviorCell`` made it,
/// specialized for its behavior).
@usableFromInline
typealias ImmediateTurn<Message: Sendable> = @Sendable (ActorCell<Message>, Message) -> ImmediateTurnOutcome
