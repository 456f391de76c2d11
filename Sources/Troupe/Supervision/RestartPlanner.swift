/// A supervisor's restart decisions as a pure state machine.
///
/// Given that a child's incarnation ended, it says what to do: leave the child down, restart
/// some children (which to stop first, which to start, after what delay), or escalate. It
/// holds the restart history for the intensity window and the generator for jitter; it has
/// no effects, so its every rule is tested directly.
struct RestartPlanner {
    let strategy: RestartStrategy
    let intensity: RestartIntensity
    let backoff: Backoff?
    private var recentRestarts: [ClockInstant] = []
    private var random: SplitMix64

    init(strategy: RestartStrategy, intensity: RestartIntensity, backoff: Backoff?, seed: UInt64) {
        self.strategy = strategy
        self.intensity = intensity
        self.backoff = backoff
        self.random = SplitMix64(seed: seed)
    }

    enum Decision: Equatable {
        /// Do not restart: the child is done for good.
        case keepDown
        /// Stop `stop` (indices, in this order), wait `delay`, then start `start` in order.
        case restart(stop: [Int], start: [Int], delay: Duration)
        /// Too many restarts: stop everything and fail to the parent.
        case escalate
    }

    /// The child at `index` (of `count`, in start order) ended with `reason`.
    /// `childRestarts` is how often this child restarted within the intensity period,
    /// which sets its backoff.
    mutating func childEnded(
        at index: Int,
        of count: Int,
        restart: RestartType,
        reason: ExitReason,
        childRestarts: Int,
        now: ClockInstant
    ) -> Decision {
        guard restart.shouldRestart(after: reason) else { return .keepDown }
        let windowStart = now.advanced(by: .zero - intensity.period)
        recentRestarts.removeAll { $0 <= windowStart }
        recentRestarts.append(now)
        if recentRestarts.count > intensity.maxRestarts { return .escalate }
        let delay = backoff?.delay(attempt: childRestarts, random: &random) ?? .zero
        switch strategy {
        case .oneForOne:
            return .restart(stop: [], start: [index], delay: delay)
        case .oneForAll:
            let others = (0..<count).filter { $0 != index }
            return .restart(stop: others.reversed(), start: Array(0..<count), delay: delay)
        case .restForOne:
            let after = Array((index + 1)..<count)
            return .restart(stop: after.reversed(), start: Array(index..<count), delay: delay)
        }
    }
}
