/// A TTL cache as a pure state machine: entries addressed by an owner and a key, expiry,
/// an LRU size cap, single-flight loads and versioned invalidation. No clock, no lock, no
/// actor, no waiting: it says when to start a load and what to do with its result; its
/// owner runs the load and keeps the waiters.
///
/// # Owners
/// Every entry belongs to an owner (a user, a room; any constant for a cache with one
/// owner), named separately from its key. ``invalidate(owner:)`` drops exactly the entries
/// of one owner: it matches the owner by equality, never by a pattern over key text, so
/// it cannot reach another owner's entries (the bug where `chat:*:50:0` deleted every
/// user's page 50).
///
/// # Loads and versions
/// Every load gets a new version number. A miss with no load in flight for its address
/// starts one (``Lookup/load(version:)``); further misses join it
/// (``Lookup/join(version:)``), so any number of concurrent misses cost one load. When a
/// load ends, ``loaded(version:_:now:)`` stores a success, never a failure. An invalidation
/// detaches the address's load in flight: its result still goes to the lookups that joined
/// it before, but is not stored, and the next lookup starts a fresh load, so no value
/// loaded before an invalidation is served after it.
///
/// # Bounds on loads
/// A load has at most `maxWaitersPerLoad` lookups waiting for it, and at most
/// `maxLoadsInFlight` loads run at once; a miss beyond either is refused
/// (``Lookup/rejected(_:)``), without waiting and without starting anything. A load still
/// running when `loadTimeout` has passed is reported with ``timedOut(version:)``: it is
/// detached like an invalidated one (never stored; the next lookup starts a fresh load),
/// its waiters are to be failed, and it keeps its place among the loads in flight until
/// its end is reported with ``loaded(version:_:now:)``, so the cap also bounds loads that
/// outlive their timeout.
///
/// Inlinable: specialized where it is used for the concrete owner, key and value types.
public struct TTLCacheState<Owner: Hashable, Key: Hashable, Value> {
    @usableFromInline
    struct Address: Hashable {
        @usableFromInline let owner: Owner
        @usableFromInline let key: Key

        @inlinable
        init(owner: Owner, key: Key) {
            self.owner = owner
            self.key = key
        }
    }

    @usableFromInline
    struct Entry {
        @usableFromInline let value: Value
        @usableFromInline let expires: ClockInstant
        @usableFromInline let version: UInt64

        @inlinable
        init(value: Value, expires: ClockInstant, version: UInt64) {
            self.value = value
            self.expires = expires
            self.version = version
        }
    }

    @usableFromInline
    struct InFlightLoad {
        @usableFromInline let address: Address
        /// Lookups waiting for it, the one that started it included.
        @usableFromInline var waiters: Int
        /// Its waiters were failed for the load timeout; it only awaits its end.
        @usableFromInline var timedOut: Bool

        @inlinable
        init(address: Address) {
            self.address = address
            self.waiters = 1
            self.timedOut = false
        }
    }

    /// What to do about a lookup.
    public enum Lookup {
        /// Answer with this value.
        case hit(Value)
        /// Start a load with this version and report it with ``TTLCacheState/loaded(version:_:now:)``.
        case load(version: UInt64)
        /// Wait for the load in flight with this version.
        case join(version: UInt64)
        /// Fail the lookup at once with this error (``TTLCacheError/tooManyWaiters(limit:)``
        /// or ``TTLCacheError/tooManyLoads(limit:)``).
        case rejected(TTLCacheError)
    }

    /// The TTL, entry cap and load bounds this state applies.
    public let configuration: TTLCacheConfiguration
    @usableFromInline var entries = LRUTable<Address, Entry>()
    /// The keys each owner has entries for, so an owner's invalidation touches only them.
    @usableFromInline var keysByOwner: [Owner: Set<Key>] = [:]
    /// The load in flight for an address, if one is attached to it.
    @usableFromInline var attached: [Address: UInt64] = [:]
    /// Every load in flight, attached, detached or timed out, with its address.
    @usableFromInline var inFlight: [UInt64: InFlightLoad] = [:]
    @usableFromInline var nextVersion: UInt64 = 1
    @usableFromInline var counters = TTLCacheMetrics()

    /// An empty cache: no entries, no loads in flight, counters at zero.
    @inlinable
    public init(configuration: TTLCacheConfiguration) {
        self.configuration = configuration
        counters.maxEntries = configuration.maxEntries
    }

    /// Counters as of the last event.
    @inlinable
    public var metrics: TTLCacheMetrics { counters }

    /// Looks up `key` of `owner` now.
    @inlinable
    public mutating func lookup(_ key: Key, owner: Owner, now: ClockInstant) -> Lookup {
        let address = Address(owner: owner, key: key)
        if let entry = entries.update(address, touch: true, { $0 }) {
            if now < entry.expires {
                counters.hits += 1
                return .hit(entry.value)
            }
            drop(address)
            counters.expired += 1
        }
        counters.misses += 1
        if let version = attached[address] {
            // Attached loads are in flight and not timed out (a timeout detaches).
            guard let waiting = inFlight[version]?.waiters, waiting < configuration.maxWaitersPerLoad else {
                counters.rejected += 1
                return .rejected(.tooManyWaiters(limit: configuration.maxWaitersPerLoad))
            }
            inFlight[version]?.waiters = waiting + 1
            counters.coalesced += 1
            return .join(version: version)
        }
        guard inFlight.count < configuration.maxLoadsInFlight else {
            counters.rejected += 1
            return .rejected(.tooManyLoads(limit: configuration.maxLoadsInFlight))
        }
        let version = nextVersion
        nextVersion += 1
        attached[address] = version
        inFlight[version] = InFlightLoad(address: address)
        counters.loads += 1
        counters.loadsInFlight = inFlight.count
        return .load(version: version)
    }

    /// A load ended. Returns true if its value was stored (a success of a load still
    /// attached to its address). The end of a load that timed out only frees its place.
    @inlinable
    @discardableResult
    public mutating func loaded(version: UInt64, _ result: Result<Value, any Error>, now: ClockInstant) -> Bool {
        guard let load = inFlight.removeValue(forKey: version) else { return false }
        counters.loadsInFlight = inFlight.count
        guard !load.timedOut else { return false }
        let address = load.address
        let wasAttached = attached[address] == version
        if wasAttached { attached.removeValue(forKey: address) }
        switch result {
        case .failure:
            counters.loadFailures += 1
            return false
        case .success(let value):
            guard wasAttached else { return false }
            store(value, at: address, version: version, now: now)
            return true
        }
    }

    /// The load with this version has outlasted the load timeout. Returns true if its
    /// lookups are to be failed now (false if it had ended or had already timed out). It
    /// is detached from its address (its value will never be stored; the next lookup
    /// starts a fresh load) and stays in flight until ``loaded(version:_:now:)``.
    @inlinable
    @discardableResult
    public mutating func timedOut(version: UInt64) -> Bool {
        guard let load = inFlight[version], !load.timedOut else { return false }
        inFlight[version]?.timedOut = true
        if attached[load.address] == version { attached.removeValue(forKey: load.address) }
        counters.loadTimeouts += 1
        return true
    }

    /// Drops `key` of `owner` and detaches its load in flight. Returns the entries dropped
    /// (0 or 1).
    @inlinable
    @discardableResult
    public mutating func invalidate(_ key: Key, owner: Owner) -> Int {
        let address = Address(owner: owner, key: key)
        attached.removeValue(forKey: address)
        guard entries.contains(address) else { return 0 }
        drop(address)
        counters.invalidated += 1
        return 1
    }

    /// Drops every entry of `owner`, and only those, and detaches its loads in flight.
    /// Returns how many entries were dropped.
    @inlinable
    @discardableResult
    public mutating func invalidate(owner: Owner) -> Int {
        for (version, load) in inFlight where load.address.owner == owner && attached[load.address] == version {
            attached.removeValue(forKey: load.address)
        }
        guard let keys = keysByOwner.removeValue(forKey: owner) else { return 0 }
        for key in keys { entries.remove(Address(owner: owner, key: key)) }
        counters.invalidated += keys.count
        counters.entries = entries.count
        return keys.count
    }

    /// Drops every entry whose TTL has passed; returns how many.
    @inlinable
    @discardableResult
    public mutating func expire(now: ClockInstant) -> Int {
        let removed = entries.removeAll { _, entry in entry.expires <= now }
        for (address, _) in removed { forget(address) }
        counters.expired += removed.count
        counters.entries = entries.count
        return removed.count
    }

    /// The value held for `key` of `owner`, if fresh at `now`, without counting a lookup.
    @inlinable
    public func peek(_ key: Key, owner: Owner, now: ClockInstant) -> Value? {
        guard let entry = entries.peek(Address(owner: owner, key: key)), now < entry.expires else { return nil }
        return entry.value
    }

    /// The version of the load that produced the entry for `key` of `owner`, if any.
    @inlinable
    public func version(of key: Key, owner: Owner) -> UInt64? {
        entries.peek(Address(owner: owner, key: key))?.version
    }

    /// Entries held now.
    @inlinable
    public var count: Int { entries.count }

    @inlinable
    mutating func store(_ value: Value, at address: Address, version: UInt64, now: ClockInstant) {
        if !entries.contains(address), entries.count >= configuration.maxEntries,
           let (evicted, _) = entries.removeLeastRecentlyUsed() {
            forget(evicted)
            counters.evicted += 1
        }
        entries.set(address, Entry(value: value, expires: now.advanced(by: configuration.ttl), version: version))
        keysByOwner[address.owner, default: []].insert(address.key)
        counters.entries = entries.count
    }

    @inlinable
    mutating func drop(_ address: Address) {
        entries.remove(address)
        forget(address)
        counters.entries = entries.count
    }

    /// Removes `address` from its owner's index (the entry itself is already gone).
    @inlinable
    mutating func forget(_ address: Address) {
        // Mutated in place: copying an owner's set out and back would cost O(its size).
        guard keysByOwner[address.owner]?.remove(address.key) != nil else { return }
        if keysByOwner[address.owner]?.isEmpty == true { keysByOwner.removeValue(forKey: address.owner) }
    }
}

extension TTLCacheState: Sendable where Owner: Sendable, Key: Sendable, Value: Sendable {}
extension TTLCacheState.Address: Sendable where Owner: Sendable, Key: Sendable {}
extension TTLCacheState.Entry: Sendable where Value: Sendable {}
extension TTLCacheState.InFlightLoad: Sendable where Owner: Sendable, Key: Sendable {}
extension TTLCacheState.Lookup: Sendable where Value: Sendable {}
