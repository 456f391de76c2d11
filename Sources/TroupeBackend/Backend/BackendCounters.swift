import Synchronization

/// Counters the backend's actors and flows bump from any thread; read by `STATS` and
/// `METRICS`. Relaxed atomics: each is an independent tally.
final class BackendCounters: Sendable {
    let cacheHits = Atomic<Int>(0)
    let cacheMisses = Atomic<Int>(0)
    /// Requests refused by a rate limit (per user or global).
    let rateLimited = Atomic<Int>(0)
    /// Pushes the bus refused (its mailbox full): no connection got them.
    let pushesDroppedAtBus = Atomic<Int>(0)
    /// Failed logins (wrong user, name or password).
    let failedLogins = Atomic<Int>(0)
    /// DM cache invalidations that could not be delivered (the page lives out its TTL).
    let invalidationsLost = Atomic<Int>(0)
    /// `message` credits of `SAY`/`DM` that were not applied: the coordinator's mailbox or
    /// batch was full, it was loading, or the weight could not be read.
    let creditsDropped = Atomic<Int>(0)
    /// Requests answered `-SHUTDOWN`.
    let refusedWhileDraining = Atomic<Int>(0)
}
