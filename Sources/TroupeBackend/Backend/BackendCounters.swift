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
    /// `message` credits of `SAY`/`DM` the coordinator had no room for.
    let creditsDropped = Atomic<Int>(0)
    /// Requests answered `-SHUTDOWN`.
    let refusedWhileDraining = Atomic<Int>(0)
}
