/// When a child whose incarnation ended is started again (OTP's restart types), and
/// whether it stays among its supervisor's children once it has ended for good.
public enum RestartType: Sendable, Hashable {
    /// Always restarted, whatever the reason it ended (even ``ExitReason/normal`` or a
    /// shutdown reason).
    case permanent
    /// Restarted only after a failure (``ExitReason/isFailure``); a normal end or a shutdown
    /// reason ends it for good. Under a supervisor it then stays in the tree, stopped, until
    /// removed (``ActorSystem/stop(childNamed:)``) or started again by a group restart; an
    /// ordinary actor's spawned child leaves the tree.
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

/// How a child is stopped: asked to stop, then cancelled if it takes too long.
///
/// Stopping is graceful first: the child finishes the message in progress, stops its own
/// children, runs its `stopping` hook and ends. If it has not ended when `timeout` passes,
/// its task (and every task under it) is cancelled. Cancellation is cooperative in Swift:
/// a handler sees it at its next cancellation-aware `await`.
public struct ShutdownPolicy: Sendable, Hashable {
    /// How long a graceful stop may take before cancellation; nil waits as long as it takes
    /// (the right choice for supervisors, whose children have their own timeouts).
    public let timeout: Duration?

    private init(timeout: Duration?) {
        self.timeout = timeout
    }

    /// Stop gracefully, cancel after `timeout` (which must not be negative; zero cancels at once).
    public static func graceful(timeout: Duration) throws(ConfigurationError) -> ShutdownPolicy {
        try ConfigurationError.requireNonNegative(timeout, "shutdown timeout")
        return ShutdownPolicy(timeout: timeout)
    }

    /// Stop gracefully and wait for the whole subtree, however long.
    public static let unbounded = ShutdownPolicy(timeout: nil)

    /// Default for actors: 5 seconds.
    public static let defaultForActors = ShutdownPolicy(timeout: .seconds(5))
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

/// Delay before restarting a child that keeps failing: exponential, capped, with jitter.
///
/// The `n`-th restart of a child within the intensity period waits
/// `min(maximum, initial × 2ⁿ) × (1 − jitter × r)`, with `r` uniform in `[0, 1)` from the
/// system's seeded generator (so a seeded test sees exact, repeatable delays).
public struct Backoff: Sendable, Hashable {
    /// The delay before a child's first restart within the intensity period (before jitter);
    /// positive.
    public let initial: Duration
    /// The cap on the doubling delay (before jitter); at least `initial`.
    public let maximum: Duration
    /// Fraction of the delay that is randomised, in `0...1`.
    public let jitter: Double

    /// - Throws: ``ConfigurationError`` if a duration is not positive, `maximum < initial`,
    ///   or `jitter` is outside `0...1`.
    public init(initial: Duration, maximum: Duration, jitter: Double = 0.2) throws(ConfigurationError) {
        try ConfigurationError.requirePositive(initial, "backoff initial delay")
        try ConfigurationError.requirePositive(maximum, "backoff maximum delay")
        if maximum < initial { throw .invalidDuration(setting: "backoff maximum (at least the initial delay)", value: maximum) }
        if !(0...1).contains(jitter) { throw .outOfRange(setting: "backoff jitter", value: jitter, range: 0...1) }
        self.initial = initial
        self.maximum = maximum
        self.jitter = jitter
    }

    /// The delay before restart number `attempt` (0 for the first), using `random` for jitter.
    func delay(attempt: Int, random: inout SplitMix64) -> Duration {
        var base = initial
        var doublings = attempt
        while doublings > 0 && base < maximum {
            base = base * 2
            doublings -= 1
        }
        if base > maximum { base = maximum }
        guard jitter > 0 else { return base }
        let unit = Double(random.next() >> 11) / Double(1 << 53)
        return base * (1 - jitter * unit)
    }
}
