/// When a child whose incarnation ended is started again (OTP's restart types), and
/// whether it stays among its supervisor's children once it has ended for good.
public enum RestartType: Sendable, Hashable {
    /// Always restarted, whatever the reason it ended (even ``ExitReason/normal`` or a
    /// shutdown reason).
    case permanent
    /// Restarted only after a failure (``ExitReason/isFailure``); a normal end or a shutdown
    /// reason ends it for good. Under a supervisor it then stays in the tree, stopped, until
    /// removed (``SupervisorRef/deleteChild(_:)``, ``ActorSystem/stop(childNamed:)``) or
    /// started again (``SupervisorRef/restartChild(_:)``, a group restart); an ordinary
    /// actor's spawned child leaves the tree.
    case transient
    /// Never restarted, and gone from the tree as soon as it ends, however it was added.
    /// A group restart stops it for good.
    case temporary

    func shouldRestart(after reason: ExitReason) -> Bool {
        switch self {
        case .permanent: true
        case .transient: reason.isFailure
        case .temporary: false
        }
    }
}

/// Which children restart when one fails (OTP's strategies).
public enum RestartStrategy: Sendable, Hashable {
    /// Only the child that ended.
    case oneForOne
    /// All children: the others are stopped (in reverse start order) and every
    /// non-temporary child is started again in order, a transient one that had ended
    /// normally included (as in OTP). For children that cannot work without each other.
    case oneForAll
    /// The child that ended and every child started after it, which depend on it: stopped
    /// and started again as in ``oneForAll``, within that group.
    case restForOne
}

/// How many restarts a supervisor tolerates before it gives up.
///
/// If more than `maxRestarts` restarts happen within any `period`, the supervisor stops all
/// its children and ends with ``ExitReason/escalated(child:error:)``, a shutdown reason (as
/// in OTP, where it exits with `shutdown`): its own supervisor restarts it if it is
/// permanent, counting that restart towards its own intensity, and leaves it down if it is
/// transient or temporary. A restarted supervisor starts with an empty history.
///
/// The window includes its start: a restart exactly `period` before the current one still
/// counts, as in OTP's `add_restart` (which keeps each restart `R` with `R >= now - period`).
/// Times are the system clock's, at its full precision (OTP counts whole seconds).
///
/// Consequence, as in OTP: intensities multiply up the tree. A supervisor that restarts up
/// to 3 times in 5 s under a parent that does the same can see up to 16 restarts of a
/// worker before the root gives up.
public struct RestartIntensity: Sendable, Hashable {
    /// Restarts tolerated within `period` (0 or more); one more makes the supervisor give up.
    public let maxRestarts: Int
    /// The sliding window the restarts are counted in, both ends included; positive.
    public let period: Duration

    /// - Throws: ``ConfigurationError`` if `maxRestarts` is negative or `period` not positive.
    public init(maxRestarts: Int, within period: Duration) throws(ConfigurationError) {
        if maxRestarts < 0 { throw .notPositive(setting: "maxRestarts (0 or more)", value: maxRestarts) }
        try ConfigurationError.requirePositive(period, "restart intensity period")
        self.maxRestarts = maxRestarts
        self.period = period
    }

    private init(unchecked maxRestarts: Int, period: Duration) {
        self.maxRestarts = maxRestarts
        self.period = period
    }

    /// 3 restarts within 5 seconds.
    public static let `default` = RestartIntensity(unchecked: 3, period: .seconds(5))

    /// Drops from `times` (restart times, oldest first or in any order) those no longer in
    /// the window that ends at `now`: older than `now - period`. One exactly `period` old
    /// stays.
    func dropExpired(from times: inout [ClockInstant], now: ClockInstant) {
        let windowStart = now.advanced(by: .zero - period)
        times.removeAll { $0 < windowStart }
    }
}
