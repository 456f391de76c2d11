/// The lifecycle of one cell as a pure state machine: its public ``ActorState`` and what
/// goes with it (the incarnation number, whether that incarnation's task still runs, the
/// restart count, the abandoned flag, the last end, the termination reason).
///
/// It performs no effects. The cell holds it under its lock, calls one `mutating` method
/// per event, and does what the method's answer says after (or, for bookkeeping that needs
/// the lock anyway, while) holding it: record the task handle, complete the incarnation's
/// end, close the mailbox, tell the parent. The resources that go with the lifecycle stay in
/// the cell: the task handle (set on ``launch()``, dropped when
/// ``incarnationFinished(_:reason:)`` says the running task ended) and the completion of
/// the incarnation's end (made on demand, reset on ``launch()``).
///
/// # Transitions of `state`
/// Rows are the state before the event; `—` means the event is ignored (state and fields
/// unchanged) for the reason given below the table; `trap` is an `assert`: the caller
/// broke an invariant.
///
/// | event ↓ / state → | starting | running | restarting | stopping | terminated |
/// | --- | --- | --- | --- | --- | --- |
/// | `launch` | starting (first) or restarting | restarting | restarting | restarting | trap |
/// | `started` | running | running | running | running | — (a) |
/// | `stopTaken(forRestart: false)` | stopping | stopping | stopping | stopping | — (a) |
/// | `stopTaken(forRestart: true)` | restarting | restarting | restarting | — (b) | — (a) |
/// | `incarnationFinished` (failure) | restarting | restarting | restarting | restarting | — (a) |
/// | `incarnationFinished` (not a failure) | stopping | stopping | stopping | stopping | — (a) |
/// | `incarnationFinished` when no task runs | trap | trap | trap | trap | trap |
/// | `restartNoted` | restarting | restarting | restarting | restarting | — (a) |
/// | `terminate` | terminated | terminated | terminated | terminated | — (c) |
/// | `revive` | — (d) | — (d) | — (d) | — (d) | restarting |
/// | `abandon` | state unchanged (e) | ← | ← | ← | ← |
///
/// Besides `state`:
/// - `launch` counts the incarnation (every one after the first is a restart), marks its
///   task as running and forgets the previous end. It traps if the cell was abandoned, is
///   terminated (a supervisor revives a cell before starting it again) or if an
///   incarnation's task still runs (incarnations of one actor never overlap).
/// - `incarnationFinished` marks the task as ended (if it is the current incarnation's) and,
///   unless the cell was abandoned, records the end. Once abandoned, the task's end changes
///   nothing else: the incarnation was reported as ended (cancelled) when it was abandoned.
/// - `abandon` applies only while an incarnation's task runs and the cell was not abandoned
///   yet: it sets the (permanent) abandoned flag and records the end as ``ExitReason/cancelled``;
///   the task still counts as running (it does, cut off from the actor). The cell then
///   terminates, with a separate `terminate`.
/// - `terminate` records the reason; `revive` clears it.
///
/// Why the ignored cases are ignored:
/// - (a) Terminated is final until a supervisor revives the cell: a late event of the
///   ending incarnation (its `started` hook returning after the cell was abandoned, its
///   stop, its end) or a restart decided for a cell that terminated meanwhile changes
///   nothing; the cell's watchers were told, its mailbox is closed.
/// - (b) A stop for good was taken first; as in the incarnation's stop mode, which a later
///   stop for a restart does not override, the actor is still stopping for good.
/// - (c) A cell terminates once; the first reason stands (watchers were told that one).
/// - (d) Only a terminated cell needs reviving; `revive` is also refused for an abandoned
///   cell (which is always terminated), whose old task may still run: such a child is
///   started again as a new cell.
/// - (e) `abandon` is ignored when no incarnation's task runs (it ended meanwhile) or the
///   cell was abandoned already.
///
/// # Invariants
/// - `incarnation` only grows.
/// - `isAbandoned` is never cleared, and an abandoned cell never launches again.
/// - `terminationReason != nil` exactly when `state == .terminated`.
struct CellLifecycle {
    /// The state shown by `TREE`, metrics and ``ActorRef/state``.
    private(set) var state = ActorState.starting
    /// The number of the latest incarnation (0 before the first).
    private(set) var incarnation = 0
    /// True from `launch` until the current incarnation's task has ended (an abandoned
    /// incarnation's task counts as running until it really ends).
    private(set) var hasRunningTask = false
    /// Set when the supervisor gave up waiting for the running incarnation; never cleared.
    private(set) var isAbandoned = false
    /// How the latest incarnation ended, once it has (cancelled, if it was abandoned).
    private(set) var lastEnd: (incarnation: Int, reason: ExitReason)?
    /// Why the cell terminated; nil unless `state == .terminated`.
    private(set) var terminationReason: ExitReason?

    /// Incarnations launched after the first: every one is a restart, whoever decided it
    /// (the actor's supervisor, or a restart of the supervisor itself).
    var restartCount: Int { max(0, incarnation - 1) }

    /// True while the actor is stopping or has stopped (what the cell's lock-free
    /// `isEnding` mirror shows).
    var isEnding: Bool { state == .stopping || state == .terminated }

    /// True if a new incarnation may be launched now (see ``launch()``).
    var canLaunch: Bool { !isAbandoned && !hasRunningTask && state != .terminated }

    // MARK: Events

    /// A new incarnation is launched; returns its number. The caller starts its task.
    mutating func launch() -> Int {
        assert(!isAbandoned, "an abandoned cell must never run again (its old task may still run)")
        assert(!hasRunningTask, "incarnations of one actor never overlap")
        assert(state != .terminated, "a terminated cell is revived before it runs again")
        incarnation += 1
        hasRunningTask = true
        lastEnd = nil
        if incarnation > 1 { state = .restarting }
        return incarnation
    }

    /// The incarnation's `started` hook returned (and its static children started).
    mutating func started() {
        guard state != .terminated else { return }
        state = .running
    }

    /// The incarnation took a stop: for good (`terminate` or `drain`), or for a restart.
    mutating func stopTaken(forRestart: Bool) {
        switch state {
        case .terminated:
            return
        case .stopping where forRestart:
            return
        case .starting, .running, .restarting, .stopping:
            state = forRestart ? .restarting : .stopping
        }
    }

    /// What the cell does once the incarnation's task has finished.
    enum Finish: Equatable {
        /// Report the end: lifecycle event, waiters of the end, the parent.
        case report
        /// The incarnation was abandoned and its end reported then: the task only
        /// dead-letters what it took and stops being counted.
        case abandonedTaskEnded
    }

    /// Incarnation `number`'s task has finished with `reason`. The cell drops its task
    /// handle if ``hasRunningTask`` became false.
    mutating func incarnationFinished(_ number: Int, reason: ExitReason) -> Finish {
        assert(hasRunningTask && number == incarnation, "only the running incarnation's task ends it")
        // Incarnations never overlap, so this is the current one; checked anyway so a late
        // end can never mark a successor's task as ended.
        if number == incarnation { hasRunningTask = false }
        if isAbandoned { return .abandonedTaskEnded }
        lastEnd = (number, reason)
        if state != .terminated { state = reason.isFailure ? .restarting : .stopping }
        return .report
    }

    /// The supervisor decided a restart (counted when the new incarnation is launched), or
    /// stopped the actor for one.
    mutating func restartNoted() {
        guard state != .terminated else { return }
        state = .restarting
    }

    /// The cell ends for good with `reason`. Returns false if it had terminated already (the
    /// caller then does nothing more).
    mutating func terminate(_ reason: ExitReason) -> Bool {
        guard state != .terminated else { return false }
        state = .terminated
        terminationReason = reason
        return true
    }

    /// A supervisor starts a terminated cell again. Returns true if it was revived (the
    /// caller reopens its mailbox).
    mutating func revive() -> Bool {
        guard state == .terminated, !isAbandoned else { return false }
        state = .restarting
        terminationReason = nil
        return true
    }

    /// The supervisor gives up waiting for the running incarnation. Returns its number, or
    /// nil if nothing was abandoned (no task runs, or it was abandoned already).
    mutating func abandon() -> Int? {
        guard hasRunningTask, !isAbandoned else { return nil }
        isAbandoned = true
        lastEnd = (incarnation, .cancelled)
        return incarnation
    }
}
