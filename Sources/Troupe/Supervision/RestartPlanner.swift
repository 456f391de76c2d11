/// A supervisor's restart decisions as a pure state machine.
///
/// Given that a child's incarnation ended, it says what to do: leave the child down (and
/// whether it leaves the tree), restart some children (which to stop first, which to start,
/// after what delay), or give up. It holds the restart history for the intensity window
/// and the generator for jitter; it has no effects, so its every rule is tested directly.
///
/// # The rules, as in OTP's `supervisor`
/// - Restart types: a permanent child is restarted whatever its reason; a transient one
///   after a failure only (not after ``ExitReason/normal`` or a shutdown reason); a
///   temporary one never.
/// - Group restarts (one for all, rest for one) stop the group last-started-first and start
///   again every non-temporary child of the group, in order, including a transient one that
///   had ended normally and was down; temporary children in the group are stopped for good
///   and leave the tree.
/// - Leaving the tree: a temporary child that ends leaves its supervisor's children at
///   once, however it was added. A permanent or transient child that ends for good stays
///   (stopped) under a supervisor, as OTP keeps its child spec; the children an ordinary
///   actor spawns leave too, as a `simple_one_for_one` supervisor's do, so an actor that
///   spawns many short-lived children keeps no record of them.
/// - Intensity: every restart is counted, and a restart exactly one `period` old still
///   counts (OTP's `add_restart` keeps every restart at or after `now - period`). More than
///   `maxRestarts` counted restarts and the supervisor gives up instead of restarting.
struct RestartPlanner {
    let strategy: RestartStrategy
    let intensity: RestartIntensity
    let backoff: Backoff?
    /// Whether a non-temporary child that ends for good stays among the children: true for
    /// a supervisor, false for the children an ordinary actor spawns.
    let keepsEndedChildren: Bool
    private var recentRestarts: [ClockInstant] = []
    private var random: SplitMix64

    init(strategy: RestartStrategy, intensity: RestartIntensity, backoff: Backoff?, keepsEndedChildren: Bool, seed: UInt64) {
        self.strategy = strategy
        self.intensity = intensity
        self.backoff = backoff
        self.keepsEndedChildren = keepsEndedChildren
        self.random = SplitMix64(seed: seed)
    }

    enum Decision: Equatable {
        /// Do not restart: the child is down for good. If `leavesTree`, it is removed from
        /// its supervisor's children; otherwise it stays, stopped.
        case keepDown(leavesTree: Bool)
        /// Stop `stop` (indices, in this order: last started first), wait `delay`, then start
        /// `start` in order. A child in `stop` but not in `start` (a temporary one) is
        /// stopped for good and leaves the tree.
        case restart(stop: [Int], start: [Int], delay: Duration)
        /// Too many restarts: stop everything and end with a shutdown reason
        /// (``ExitReason/escalated(child:error:)``).
        case escalate
    }

    /// The child at `index` of `siblings` (the restart types of the supervisor's children,
    /// in start order) ended with `reason`. A one-for-one supervisor involves no sibling and
    /// may pass the child's own type alone (`index` 0). `childRestarts` is how often this
    /// child restarted within the intensity period, which sets its backoff.
    mutating func childEnded(
        at index: Int,
        of siblings: [RestartType],
        reason: ExitReason,
        childRestarts: Int,
        now: ClockInstant
    ) -> Decision {
        let restart = siblings[index]
        guard restart.shouldRestart(after: reason) else {
            return .keepDown(leavesTree: restart == .temporary || !keepsEndedChildren)
        }
        intensity.dropExpired(from: &recentRestarts, now: now)
        recentRestarts.append(now)
        if recentRestarts.count > intensity.maxRestarts { return .escalate }
        let delay = backoff?.delay(attempt: childRestarts, random: &random) ?? .zero
        let group: Range<Int>
        switch strategy {
        case .oneForOne:
            return .restart(stop: [], start: [index], delay: delay)
        case .oneForAll:
            group = siblings.indices
        case .restForOne:
            group = index..<siblings.count
        }
        // The child that ended is down already; everyone else in the group is stopped, and
        // every non-temporary child of the group (the one that ended is one) starts again.
        return .restart(
            stop: group.reversed().filter { $0 != index },
            start: group.filter { siblings[$0] != .temporary },
            delay: delay
        )
    }

    /// Forgets the restart history. A supervisor's next incarnation starts with none, as a
    /// restarted OTP supervisor (a new process) does.
    mutating func forgetRestarts() {
        recentRestarts.removeAll()
    }
}
