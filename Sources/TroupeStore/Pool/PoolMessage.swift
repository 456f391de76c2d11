import Troupe

/// What the pool actor handles. Callers only send ``submit(_:)`` (through
/// ``DatabasePool``); the rest are the actor's own reports and timers.
enum PoolMessage: Sendable {
    /// A caller wants a connection for a job.
    case submit(any PoolJob)
    /// A connection thread finished a job (delivered through the system lane).
    case finished(JobReport)
    /// A deadline or the end of a retry backoff is due.
    case wake
    /// Close connections idle past the idle timeout.
    case idleCheck
    /// A snapshot of the counters.
    case metrics(ReplyTo<PoolMetrics>)
}

/// Why the pool ran a job.
enum JobPurpose: Sendable {
    /// A caller's request.
    case request
    /// Opening a connection ahead of demand (the minimum, at start).
    case warmUp
}

/// One job's attempt, as reported back to the pool actor by the task that awaited its
/// connection thread.
struct JobReport: Sendable {
    /// The pool incarnation that ran the job: a report that outlived its incarnation
    /// (delivered after a restart) names slots of the old one and is ignored.
    let incarnation: Int
    let slot: Int
    let job: any PoolJob
    let purpose: JobPurpose
    /// Attempts before this one (0 for the first).
    let attempt: Int
    /// The breaker's leave for this attempt, to report its outcome against.
    let permit: CircuitBreakerState.Permit
    let outcome: JobOutcome
    /// The thread's connection is open after the job.
    let connectionOpen: Bool
}
