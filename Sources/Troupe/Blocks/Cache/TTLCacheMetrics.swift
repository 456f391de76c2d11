/// A snapshot of a TTL cache's counters.
public struct TTLCacheMetrics: Sendable, Hashable {
    /// Entries held now, and the most allowed.
    public var entries = 0
    public var maxEntries = 0
    /// Lookups answered from the cache, and those that were not (expired or absent).
    public var hits = 0
    public var misses = 0
    /// Loads started, loads that failed, and misses that joined a load already in flight
    /// instead of starting one (single flight).
    public var loads = 0
    public var loadFailures = 0
    public var coalesced = 0
    /// Loads in flight now (timed-out loads whose task has not ended yet included).
    public var loadsInFlight = 0
    /// Loads whose waiters were failed because they outlasted `loadTimeout`.
    public var loadTimeouts = 0
    /// Misses refused at once: too many lookups waiting for their load, or too many loads
    /// in flight.
    public var rejected = 0
    /// Entries dropped because their TTL passed, to stay within `maxEntries`, or by an
    /// invalidation.
    public var expired = 0
    public var evicted = 0
    public var invalidated = 0

    /// All counters zero.
    public init() {}
}
