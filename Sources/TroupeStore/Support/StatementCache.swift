/// A bounded least-recently-used map from a statement key to a prepared statement handle.
///
/// Both drivers keep one per connection, used only by that connection's thread, so it needs
/// no lock. The capacity bounds what a long-lived connection holds on the database side; the
/// backend's statements are a fixed set far below the default capacity, so in steady state
/// nothing is evicted and every call is a dictionary hit.
struct StatementCache<Handle> {
    private struct Entry {
        var handle: Handle
        var lastUse: UInt64
    }

    let capacity: Int
    private var entries: [String: Entry] = [:]
    // A use counter, not a clock: recency only needs an order.
    private var tick: UInt64 = 0

    /// A cache of `capacity` statements, at least one (the configurations validate it; a
    /// smaller value is not trapped on here).
    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    var count: Int { entries.count }

    /// The handle for `key`, marked as just used.
    mutating func lookup(_ key: String) -> Handle? {
        guard var entry = entries[key] else { return nil }
        tick &+= 1
        entry.lastUse = tick
        entries[key] = entry
        return entry.handle
    }

    /// Adds `handle` under `key` and returns the handle evicted to make room, which the
    /// caller must release. Eviction scans for the oldest entry: it only happens past
    /// capacity, which a fixed set of statements never reaches.
    mutating func insert(_ handle: Handle, for key: String) -> Handle? {
        precondition(entries[key] == nil, "a statement is prepared only on a cache miss")
        tick &+= 1
        var evicted: Handle?
        if entries.count >= capacity,
            let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse })
        {
            evicted = oldest.value.handle
            entries[oldest.key] = nil
        }
        entries[key] = Entry(handle: handle, lastUse: tick)
        return evicted
    }

    /// Removes `key`'s entry, returning its handle for the caller to release.
    mutating func remove(_ key: String) -> Handle? {
        entries.removeValue(forKey: key)?.handle
    }

    /// Empties the cache, returning every handle for the caller to release.
    mutating func removeAll() -> [Handle] {
        defer { entries.removeAll() }
        return entries.values.map(\.handle)
    }
}
