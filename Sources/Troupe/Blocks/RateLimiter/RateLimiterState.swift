/// Token buckets keyed by any `Hashable` plus an optional global bucket, as a pure state
/// machine: no clock, no lock, no actor; every event takes `now`.
///
/// ``RateLimiter`` wraps it in an actor to share it between callers; an actor that alone
/// decides for its keys (a connection's front actor) can hold one in its own state.
///
/// # Rules
/// - A request of cost `c` for key `k` passes if `k`'s bucket and the global bucket both
///   hold `c` tokens; then both lose `c`. Otherwise neither changes, so a request that
///   the global bucket refuses costs its key nothing, and a key that floods empties only
///   its own bucket: once it is empty its requests stop drawing on the global one.
/// - A key seen for the first time gets a full bucket.
/// - Memory: at most `maxKeys` buckets. A key unused for `idleTimeout` is forgotten by
///   ``expireIdle(now:)`` (its bucket would be full by then, so forgetting it changes no
///   answer); a new key beyond the cap first forgets idle keys, then evicts the least
///   recently used one.
///
/// Inlinable: specialized where it is used for the concrete key type.
public struct RateLimiterState<Key: Hashable> {
    /// The per-key and global bucket shapes, the key cap and the idle timeout applied.
    public let configuration: RateLimiterConfiguration
    @usableFromInline var buckets = LRUTable<Key, TokenBucket>()
    @usableFromInline var global: TokenBucket?
    @usableFromInline var counters = RateLimiterMetrics()

    /// No keys, no global bucket yet (it starts full on the first request), counters at zero.
    @inlinable
    public init(configuration: RateLimiterConfiguration) {
        self.configuration = configuration
        counters.maxKeys = configuration.maxKeys
    }

    /// Counters as of the last event.
    @inlinable
    public var metrics: RateLimiterMetrics { counters }

    /// Decides on a request of `cost` tokens (below 1 counts as 1) for `key`, now.
    @inlinable
    public mutating func check(_ key: Key, cost: Int = 1, now: ClockInstant) -> RateLimitDecision {
        let cost = max(cost, 1)
        if !buckets.contains(key) { admit(key, now: now) }
        // Present: just admitted, or found (and nothing below removes it).
        let configuration = self.configuration
        let decision = buckets.update(key, touch: true) { bucket -> RateLimitDecision in
            var shared = global
            let (decision, byGlobal) = Self.decide(&bucket, &shared, cost: cost, now: now, configuration)
            global = shared
            if byGlobal { counters.deniedByGlobal += 1 }
            return decision
        }!
        if decision.isAllowed { counters.allowed += 1 } else { counters.denied += 1 }
        return decision
    }

    /// What ``check(_:cost:now:)`` would decide for `key` now, without charging anything:
    /// for a caller that charges only some outcomes (a failed login), so that it can refuse
    /// before doing the work and charge afterwards with `check`.
    ///
    /// Refills a copy of the buckets: the stored ones, their last-use times (idle expiry)
    /// and their order for eviction are left as they were, and a key without a bucket is
    /// not given one (it would get a full bucket, so it is allowed for any cost up to the
    /// capacity). `remaining` is what `check` would leave, so a `check` at the same instant
    /// decides the same. Counted in ``RateLimiterMetrics/peeked`` only, never in `allowed`
    /// or `denied`.
    ///
    /// A peek is advisory under concurrency: another request may take the tokens between a
    /// peek and a `check`. An actor that alone decides for its keys sees no such race.
    @inlinable
    public mutating func peek(_ key: Key, cost: Int = 1, now: ClockInstant) -> RateLimitDecision {
        counters.peeked += 1
        var bucket = buckets.peek(key) ?? TokenBucket(full: configuration.perKey, at: now)
        var shared = global
        return Self.decide(&bucket, &shared, cost: max(cost, 1), now: now, configuration).decision
    }

    /// The decision on `cost` tokens from `bucket` and the global bucket (`shared`, made
    /// full if absent), both refilled to `now`; takes the tokens from both only when both can
    /// pay. `deniedByGlobal`: the key's bucket could pay and the global one could not.
    /// ``check(_:cost:now:)`` applies it to the stored buckets, ``peek(_:cost:now:)`` to copies.
    @inlinable
    static func decide(
        _ bucket: inout TokenBucket, _ shared: inout TokenBucket?, cost: Int, now: ClockInstant,
        _ configuration: RateLimiterConfiguration
    ) -> (decision: RateLimitDecision, deniedByGlobal: Bool) {
        let perKey = configuration.perKey
        bucket.refill(perKey, to: now)
        let keyWait = bucket.wait(for: cost, perKey)
        var globalWait: Duration? = .zero
        if let shape = configuration.global {
            var global = shared ?? TokenBucket(full: shape, at: now)
            global.refill(shape, to: now)
            globalWait = global.wait(for: cost, shape)
            if keyWait == .zero && globalWait == .zero { global.take(cost, shape) }
            shared = global
        }
        guard let keyWait, let globalWait else { return (.denied(retryAfter: nil), false) }
        guard keyWait == .zero && globalWait == .zero else {
            return (.denied(retryAfter: max(keyWait, globalWait)), keyWait == .zero)
        }
        bucket.take(cost, perKey)
        return (.allowed(remaining: bucket.tokens(perKey)), false)
    }

    /// Forgets every key unused for the idle timeout; returns how many.
    @inlinable
    @discardableResult
    public mutating func expireIdle(now: ClockInstant) -> Int {
        // Least recently used first, and a bucket's `updated` is its last use: stop at the
        // first key that is still fresh.
        var expired = 0
        while let (_, bucket) = buckets.leastRecentlyUsed,
              bucket.updated.advanced(by: configuration.idleTimeout) <= now {
            _ = buckets.removeLeastRecentlyUsed()
            expired += 1
        }
        counters.expired += expired
        counters.liveKeys = buckets.count
        return expired
    }

    /// Keys with a bucket now.
    @inlinable
    public var liveKeys: Int { buckets.count }

    /// Whole tokens in `key`'s bucket as of its last use; nil for a key without a bucket.
    @inlinable
    public func tokens(for key: Key) -> Int? {
        buckets.peek(key)?.tokens(configuration.perKey)
    }

    /// Gives `key` a full bucket, making room within the cap first.
    @inlinable
    mutating func admit(_ key: Key, now: ClockInstant) {
        if buckets.count >= configuration.maxKeys { expireIdle(now: now) }
        if buckets.count >= configuration.maxKeys, buckets.removeLeastRecentlyUsed() != nil {
            counters.evicted += 1
        }
        buckets.set(key, TokenBucket(full: configuration.perKey, at: now))
        counters.liveKeys = buckets.count
        counters.liveKeysHighWaterMark = max(counters.liveKeysHighWaterMark, buckets.count)
    }
}

extension RateLimiterState: Sendable where Key: Sendable {}
