/// Where one supervised child is, as its parent's ``Supervision`` sees it: a pure state
/// machine with one `mutating` method per event, each returning what the supervision must
/// do. The child's cell has its own lifecycle (``CellLifecycle``); this phase is the
/// parent's view, which decides whether an exit that arrives is the one it waits for.
///
/// Exits travel through the parent's system lane, so one may arrive after the parent
/// already moved on (it stopped the child itself, or started a later incarnation): an exit
/// is acted on only if the phase names its incarnation; any other is stale.
///
/// # Transitions
/// `—`: ignored, the phase is unchanged (the reasons are below); `trap`: an `assert`, the
/// supervision broke an invariant (in a release build the transition is made anyway).
///
/// | event ↓ / phase → | down | running(n) | stopRequested(n) | awaitingRestart(t) | removed |
/// | --- | --- | --- | --- | --- | --- |
/// | `launched(m)` | running(m) | trap | trap | trap | trap |
/// | `startFailed(m)` | — (a) | down if m = n, else — (a) | — (a) | — (a) | — (a) |
/// | `exited(m)` | — stale | down, `unrequested` if m = n, else — stale | down, `requestedStopEnded` if m = n, else — stale | — stale | — stale |
/// | `requestStop` | — (b) | stopRequested(n), returns n | — (b) | — (b) | — (b) |
/// | `abandoned(m)` | — (c) | — (c) | down if m = n, else — (c) | — (c) | — (c) |
/// | `stop` | down, `nothingRuns` | down, `stopAndWait` | down, `waitForRequestedStop` | down, `nothingRuns` | trap |
/// | `restartScheduled(t)` | awaitingRestart(t) | trap | trap | trap | trap |
/// | `restartDue(u)` | — (d) | — (d) | — (d) | down, true if u = t, else — (d) | — (d) |
/// | `remove` | removed, true | trap | trap | trap | — (e) |
///
/// - (a) A start failure concerns the incarnation the supervision just launched and
///   waited for; the child's exit for it arrives later and is then stale.
/// - (b) Only a running incarnation can be asked to stop: a child that is down has nothing
///   to stop, one already asked is stopping. A child waiting for a delayed restart is never
///   asked: only actors' own children are stopped by request, and they have no backoff.
/// - (c) The abandoned stop is not the one the phase waits for (the incarnation ended
///   meanwhile, and its exit decides).
/// - (d) The delayed restart was cancelled (the child was stopped meanwhile) or is
///   another one's.
/// - (e) Removed already: a slot leaves the tree once.
///
/// # Invariants
/// - A running incarnation's exit is expected exactly when the phase is `running` or
///   `stopRequested` with its number; the supervision launches only a child that is down.
/// - `removed` is final, and only a child that is down leaves the tree.
enum ChildPhase: Equatable, CustomStringConvertible {
    /// Not running: never started, stopped (for good or for a restart), kept down after its
    /// end, or between its end and an immediate restart.
    case down
    /// Incarnation `incarnation` runs; its exit is a decision for the planner.
    case running(incarnation: Int)
    /// Incarnation `incarnation` was asked to stop for good without waiting
    /// (``ActorContext/stop(_:)``); its exit terminates the child and is not a failure.
    case stopRequested(incarnation: Int)
    /// Waits for the delayed (backoff) restart `token`.
    case awaitingRestart(token: Int)
    /// Left the tree; only a list being worked through still holds it.
    case removed

    var description: String {
        switch self {
        case .down: "down"
        case .running(let number): "running(#\(number))"
        case .stopRequested(let number): "stopRequested(#\(number))"
        case .awaitingRestart(let token): "awaitingRestart(token \(token))"
        case .removed: "removed"
        }
    }

    /// True while an incarnation runs (asked to stop or not): the child counts as running
    /// for ``SupervisorRef`` requests.
    var isRunning: Bool {
        switch self {
        case .running, .stopRequested: true
        case .down, .awaitingRestart, .removed: false
        }
    }

    // MARK: Events

    /// The supervision launched incarnation `number`.
    mutating func launched(_ number: Int) {
        assert(self == .down, "only a child that is down is started (it is \(self))")
        self = .running(incarnation: number)
    }

    /// The `started` hook of incarnation `number`, launched and awaited, threw.
    mutating func startFailed(_ number: Int) {
        if self == .running(incarnation: number) { self = .down }
    }

    /// What an exit that arrived means.
    enum Exit: Equatable {
        /// The running incarnation ended on its own: the planner decides.
        case unrequested
        /// The incarnation asked to stop (``requestStop()``) ended: terminate the child.
        case requestedStopEnded
        /// Not the incarnation the phase waits for: ignore it.
        case stale
    }

    /// Incarnation `number`'s exit arrived.
    mutating func exited(_ number: Int) -> Exit {
        switch self {
        case .running(number):
            self = .down
            return .unrequested
        case .stopRequested(number):
            self = .down
            return .requestedStopEnded
        case .down, .running, .stopRequested, .awaitingRestart, .removed:
            return .stale
        }
    }

    /// Asks the running incarnation to stop for good, without waiting. Returns its number
    /// (the caller sends the stop and starts the shutdown timeout), or nil if none runs.
    mutating func requestStop() -> Int? {
        guard case .running(let number) = self else { return nil }
        self = .stopRequested(incarnation: number)
        return number
    }

    /// The incarnation asked to stop, `number`, ignored its shutdown timeouts and was
    /// abandoned: its exit will never be reported.
    mutating func abandoned(_ number: Int) {
        if self == .stopRequested(incarnation: number) { self = .down }
    }

    /// What stopping the child involves.
    enum Stop: Equatable {
        /// Send the stop and wait for the running incarnation to end.
        case stopAndWait
        /// The stop was sent already (``requestStop()``): wait for the end.
        case waitForRequestedStop
        /// Nothing runs (a pending delayed restart, if any, is cancelled).
        case nothingRuns
    }

    /// The supervision stops the child (for good or for a restart) and waits for it.
    mutating func stop() -> Stop {
        let step: Stop
        switch self {
        case .running: step = .stopAndWait
        case .stopRequested: step = .waitForRequestedStop
        case .down, .awaitingRestart: step = .nothingRuns
        case .removed:
            assertionFailure("a child that left the tree is not stopped again")
            return .nothingRuns
        }
        self = .down
        return step
    }

    /// A restart was decided with a delay; `token` identifies its timer.
    mutating func restartScheduled(token: Int) {
        assert(self == .down, "only a child that is down waits for a restart (it is \(self))")
        self = .awaitingRestart(token: token)
    }

    /// The delayed restart `token` is due. Returns true if this child is to start now.
    mutating func restartDue(token: Int) -> Bool {
        guard self == .awaitingRestart(token: token) else { return false }
        self = .down
        return true
    }

    /// The child leaves the tree. Returns false if it had already.
    mutating func remove() -> Bool {
        if self == .removed { return false }
        assert(self == .down, "only a child that is down leaves the tree (it is \(self))")
        self = .removed
        return true
    }
}
