/// The settings of a circuit breaker, validated when made.
///
/// ```
///            failureThreshold consecutive failures
///   closed ──────────────────────────────────────▶ open ◀──────────────┐
///     ▲                                              │ openDuration      │ a probe fails,
///     │ halfOpenProbes probes succeed                ▼ elapsed           │ or probeTimeout
///     └───────────────────────────────────────── half-open ─────────────┘ passes
/// ```
public struct CircuitBreakerConfiguration: Sendable {
    /// Consecutive failures, while closed, that open the circuit. Default 5.
    public let failureThreshold: Int
    /// How long the circuit stays open (every call fails fast) before it lets probes
    /// through. Default 30 s.
    public let openDuration: Duration
    /// Calls let through while half-open. All must succeed to close the circuit; the first
    /// failure opens it again. Calls beyond these fail fast until the probes have ended.
    /// Default 1.
    public let halfOpenProbes: Int
    /// How long the circuit may stay half-open without a verdict (a probe that hangs, or
    /// whose outcome was never reported) before it counts as failed and the circuit opens
    /// again. Default 30 s.
    public let probeTimeout: Duration
    /// Which errors of the wrapped operation count as failures of the protected service.
    /// Others (a constraint violation, a cancelled caller) pass through without moving the
    /// breaker. Default: every error except `CancellationError`.
    public let isFailure: @Sendable (any Error) -> Bool

    /// - Throws: ``ConfigurationError`` if a count is below 1 or a duration is not positive.
    public init(
        failureThreshold: Int = 5,
        openDuration: Duration = .seconds(30),
        halfOpenProbes: Int = 1,
        probeTimeout: Duration = .seconds(30),
        isFailure: @escaping @Sendable (any Error) -> Bool = CircuitBreakerConfiguration.everyErrorButCancellation
    ) throws(ConfigurationError) {
        try ConfigurationError.requirePositive(failureThreshold, "circuit breaker failure threshold")
        try ConfigurationError.requirePositive(openDuration, "circuit breaker open duration")
        try ConfigurationError.requirePositive(halfOpenProbes, "circuit breaker half-open probes")
        try ConfigurationError.requirePositive(probeTimeout, "circuit breaker probe timeout")
        self.failureThreshold = failureThreshold
        self.openDuration = openDuration
        self.halfOpenProbes = halfOpenProbes
        self.probeTimeout = probeTimeout
        self.isFailure = isFailure
    }

    /// The default failure classification: a cancelled caller says nothing about the
    /// health of the service it called.
    public static let everyErrorButCancellation: @Sendable (any Error) -> Bool = { error in
        !(error is CancellationError)
    }
}
