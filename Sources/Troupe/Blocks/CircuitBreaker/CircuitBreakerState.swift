/// A circuit breaker as a pure state machine: closed, open, half-open, with the rules of a
/// ``CircuitBreakerConfiguration``. No clock, no lock, no actor: every event takes `now`.
///
/// ``CircuitBreaker`` wraps it in an actor to share one breaker between callers. An actor
/// that is the only user of a dependency (a connection pool) can hold one directly in its
/// state instead and pay no message per call:
///
/// ```swift
/// switch breaker.acquire(now: context.now) {
/// case .rejected(let retryAfter): reply.fail(PoolError.circuitOpen(retryAfter))
/// case .granted(let permit):
///     let outcome: CircuitBreakerState.Outcome = ... run the call ... ? .success : .failure
///     breaker.record(outcome, for: permit, now: context.now)
/// }
/// ```
///
/// # Rules
/// - Closed: every call is admitted. A success resets the failure count; the
///   `failureThreshold`-th failure in a row opens the circuit.
/// - Open: every call is rejected with the exact time left until `openDuration` has passed.
///   The first event after that moves to half-open (time alone causes no event: the move
///   happens when the breaker is next consulted, at that instant).
/// - Half-open: `halfOpenProbes` calls are admitted; when all have succeeded the circuit
///   closes, at the first failure it opens again. Calls beyond them are rejected without a
///   retry time. If no verdict came within `probeTimeout`, the circuit opens again.
/// - Every transition starts a new epoch. An outcome reported for a permit of an earlier
///   epoch (a slow call that started before the circuit opened) is counted as stale and
///   changes nothing: a late success cannot close a circuit it never probed.
/// - An ``Outcome/ignored`` outcome (an error the configuration does not count, such as a
///   cancelled caller) changes nothing, except that it frees its probe slot.
public struct CircuitBreakerState: Sendable {
    /// Where the breaker is.
    public enum Phase: String, Sendable, Hashable, CustomStringConvertible {
        /// Calls pass; failures are counted.
        case closed
        /// Calls fail fast until the open duration has passed.
        case open
        /// A few probe calls pass; their outcome decides.
        case halfOpen = "half-open"

        public var description: String { rawValue }
    }

    /// Leave to make one call, to be reported with ``record(_:for:now:)``.
    public struct Permit: Sendable, Hashable {
        /// The breaker state instance and epoch the permit was granted in.
        let instance: UInt64
        let epoch: UInt64
        /// True for a half-open probe.
        public let isProbe: Bool
    }

    /// The answer to ``acquire(now:)``.
    public enum Admission: Sendable, Hashable {
        /// Make the call, then report its outcome.
        case granted(Permit)
        /// Do not make the call. `retryAfter` is exact while open, nil while half-open.
        case rejected(retryAfter: Duration?)
    }

    /// How a permitted call ended.
    public enum Outcome: Sendable, Hashable {
        /// The call worked: it clears the failure streak (closed) or counts toward closing
        /// (half-open).
        case success
        /// The call failed: it extends the failure streak, opening the circuit at the threshold
        /// (closed), or reopens the circuit (half-open).
        case failure
        /// Neither: the error says nothing about the service (see
        /// ``CircuitBreakerConfiguration/isFailure``).
        case ignored
    }

    /// The thresholds and durations this state applies.
    public let configuration: CircuitBreakerConfiguration
    /// Distinguishes permits of two states (an actor's incarnations), so a permit from a
    /// previous incarnation is stale in the next even at the same epoch.
    private let instance: UInt64
    private var epoch: UInt64 = 0
    /// Counters and the phase as of the last event.
    public private(set) var metrics = CircuitBreakerMetrics()
    private var openUntil = ClockInstant.zero
    private var halfOpenSince = ClockInstant.zero
    private var probesAdmitted = 0
    private var probesSucceeded = 0

    /// A closed breaker. `instance` must differ between states whose permits could meet
    /// (an actor passes its restart count).
    public init(configuration: CircuitBreakerConfiguration, instance: UInt64 = 0) {
        self.configuration = configuration
        self.instance = instance
    }

    /// The phase as of the last event (call ``advance(to:)`` first for the phase now).
    public var phase: Phase { metrics.phase }

    /// Applies the transitions that the passing of time causes: open → half-open once the
    /// open duration has passed, half-open → open once the probe timeout has.
    public mutating func advance(to now: ClockInstant) {
        switch metrics.phase {
        case .open where now >= openUntil:
            transition(to: .halfOpen, now: now)
        case .halfOpen where now >= halfOpenSince.advanced(by: configuration.probeTimeout):
            transition(to: .open, now: now)
        default:
            break
        }
    }

    /// Asks to make one call now.
    public mutating func acquire(now: ClockInstant) -> Admission {
        advance(to: now)
        switch metrics.phase {
        case .closed:
            return grant(isProbe: false)
        case .open:
            metrics.rejected += 1
            return .rejected(retryAfter: now.duration(to: openUntil))
        case .halfOpen:
            guard probesAdmitted < configuration.halfOpenProbes else {
                metrics.rejected += 1
                return .rejected(retryAfter: nil)
            }
            probesAdmitted += 1
            return grant(isProbe: true)
        }
    }

    /// Reports how the call made with `permit` ended.
    public mutating func record(_ outcome: Outcome, for permit: Permit, now: ClockInstant) {
        advance(to: now)
        guard permit.instance == instance, permit.epoch == epoch else {
            metrics.stale += 1
            return
        }
        switch outcome {
        case .ignored:
            metrics.ignored += 1
            if permit.isProbe { probesAdmitted -= 1 }
        case .success:
            metrics.successes += 1
            switch metrics.phase {
            case .closed:
                metrics.consecutiveFailures = 0
            case .halfOpen:
                probesSucceeded += 1
                if probesSucceeded == configuration.halfOpenProbes { transition(to: .closed, now: now) }
            case .open:
                // Open grants no permit, so no permit of this epoch can exist.
                break
            }
        case .failure:
            metrics.failures += 1
            switch metrics.phase {
            case .closed:
                metrics.consecutiveFailures += 1
                if metrics.consecutiveFailures >= configuration.failureThreshold { transition(to: .open, now: now) }
            case .halfOpen:
                transition(to: .open, now: now)
            case .open:
                break
            }
        }
    }

    private mutating func grant(isProbe: Bool) -> Admission {
        metrics.admitted += 1
        return .granted(Permit(instance: instance, epoch: epoch, isProbe: isProbe))
    }

    private mutating func transition(to next: Phase, now: ClockInstant) {
        switch (metrics.phase, next) {
        case (.closed, .open): metrics.opened += 1
        case (.open, .halfOpen): metrics.halfOpened += 1
        case (.halfOpen, .closed): metrics.closed += 1
        case (.halfOpen, .open): metrics.reopened += 1
        default: break
        }
        epoch &+= 1
        metrics.phase = next
        metrics.lastTransition = now
        switch next {
        case .open:
            openUntil = now.advanced(by: configuration.openDuration)
        case .halfOpen:
            halfOpenSince = now
            probesAdmitted = 0
            probesSucceeded = 0
        case .closed:
            metrics.consecutiveFailures = 0
        }
    }
}
