/// A cache of loaded values with a time to live, single-flight loads, invalidation scoped
/// to one owner, and a size cap.
///
/// ```swift
/// let history = TTLCache<UserID, String, [Message]>(try TTLCacheConfiguration(ttl: .seconds(60)))
/// try await system.start(history, name: "history-cache")
/// let page = try await history.value(for: "history:50:0", owner: user) {
///     try await database.history(of: user, limit: 50, offset: 0)
/// }
/// // the user posted: drop this user's entries, and only this user's
/// try await history.invalidate(owner: user)
/// ```
///
/// It prevents what the problem reports show: a hundred concurrent requests that each
/// query the database for the same rarely changing row (here they share one load), and an
/// invalidation pattern over key text that also deleted other users' entries (here an
/// owner is matched by equality, see ``TTLCacheState``).
///
/// # Bounds
/// At most `maxEntries` entries (default 10,000; least recently used evicted beyond);
/// expired entries (after `ttl`, default 60 s) are never served and are swept every
/// `sweepInterval` (default: the TTL). One load in flight per address, with at most
/// `maxWaitersPerLoad` lookups waiting for it (default 1,024), and at most
/// `maxLoadsInFlight` loads at once (default 256); a miss beyond either fails at once with
/// ``TTLCacheError/tooManyWaiters(limit:)`` or ``TTLCacheError/tooManyLoads(limit:)``. A
/// load that has not ended after `loadTimeout` (default 30 s) fails its lookups with
/// ``TTLCacheError/loadTimedOut(after:)``, is cancelled and never stored; it keeps its
/// place among the loads in flight until its task has ended. Each lookup also waits at
/// most its ask timeout (`askTimeout`, default the system's): keep `loadTimeout` below it
/// for the timeout error to be the one callers see. The actor's mailbox is bounded
/// (default 1,024 requests, callers wait for room). A restart of the actor empties the
/// cache and fails the lookups waiting for its loads.
///
/// # Concurrency contract
/// `Sendable`; every method may be called from any task. Lookups, loads' results and
/// invalidations are applied one at a time in arrival order, so once ``invalidate(_:owner:)``
/// has returned, no lookup is answered with a value loaded before it. Loads run as the
/// cache actor's background work, concurrently with each other and with hits; of
/// concurrent misses on one address, the first one's `load` runs and the others share its
/// result or its error. A caller that stops waiting (cancellation, ask timeout) does not
/// cancel the load; the load timeout does, and so does stopping the actor. Time (TTL,
/// sweep, load timeout) is the actor system's clock.
public final class TTLCache<Owner: Hashable & Sendable, Key: Hashable & Sendable, Value: Sendable>: BuildingBlock {
    /// TTL, size cap, load bounds and sweep interval; every incarnation of the actor starts
    /// an empty cache from it.
    public let configuration: TTLCacheConfiguration
    /// The actor's mailbox.
    public let mailbox: MailboxConfiguration
    /// Deadline of each question to the actor, including waiting for a load; nil: the
    /// system's ask timeout.
    public let askTimeout: Duration?
    @usableFromInline let binding = BlockBinding<TTLCacheMessage<Owner, Key, Value>>()

    /// A cache to place in a tree with ``childSpec(_:restart:)``.
    public init(
        _ configuration: TTLCacheConfiguration,
        mailbox: MailboxConfiguration = .buildingBlockDefault,
        askTimeout: Duration? = nil
    ) {
        self.configuration = configuration
        self.mailbox = mailbox
        self.askTimeout = askTimeout
    }

    /// The spec that places the cache's actor under `name`; this cache's calls go to the actor
    /// it creates. Throws ``ConfigurationError/invalidName(_:)`` for a bad name.
    // Inlinable so that the actor is made, and runs specialized, where the owner, key and
    // value types are concrete (see ``BlockBinding/childSpec(_:mailbox:restart:shutdown:_:)``).
    @inlinable
    public func childSpec(_ name: String, restart: RestartType) throws(ConfigurationError) -> ChildSpec {
        let configuration = self.configuration
        return try binding.childSpec(name, mailbox: mailbox, restart: restart) {
            TTLCacheBehavior<Owner, Key, Value>(state: TTLCacheState(configuration: configuration))
        }
    }

    /// The value for `key` of `owner`: from the cache if fresh, else from `load` (or from
    /// the load already in flight for it), stored for the TTL if it succeeds.
    ///
    /// - Throws: ``TTLCacheError/loadFailed(_:)`` with the load's error (not cached);
    ///   ``TTLCacheError/loadTimedOut(after:)`` if the load outlasted `loadTimeout`;
    ///   ``TTLCacheError/tooManyWaiters(limit:)`` or ``TTLCacheError/tooManyLoads(limit:)``
    ///   at once for a miss beyond the bounds on loads;
    ///   ``TTLCacheError/unavailable(_:)`` if the actor could not answer in time.
    @inlinable
    public nonisolated(nonsending) func value(
        for key: Key,
        owner: Owner,
        load: @escaping @Sendable () async throws -> Value
    ) async throws(TTLCacheError) -> Value {
        try await ask { .get(key, owner: owner, load: load, $0) }
    }

    /// Drops the entry for `key` of `owner`; a load in flight for it will not be stored.
    /// Returns the number of entries dropped (0 or 1).
    @discardableResult
    public nonisolated(nonsending) func invalidate(_ key: Key, owner: Owner) async throws(TTLCacheError) -> Int {
        try await ask { .invalidateKey(key, owner: owner, $0) }
    }

    /// Drops every entry of `owner` and no other; loads in flight for them will not be
    /// stored. Returns the number of entries dropped.
    @discardableResult
    public nonisolated(nonsending) func invalidate(owner: Owner) async throws(TTLCacheError) -> Int {
        try await ask { .invalidateOwner(owner, $0) }
    }

    /// Size and counters.
    public nonisolated(nonsending) func metrics() async throws(TTLCacheError) -> TTLCacheMetrics {
        try await ask { .metrics($0) }
    }

    @inlinable
    nonisolated(nonsending) func ask<Reply: Sendable>(
        _ makeRequest: (ReplyTo<Reply>) -> TTLCacheMessage<Owner, Key, Value>
    ) async throws(TTLCacheError) -> Reply {
        try await binding.ask(timeout: askTimeout, makeRequest, notStarted: TTLCacheError.notStarted) { error in
            // The actor's own refusals and a load's own error both arrive as failed replies.
            guard case .failed(let failure) = error else { return .unavailable(error) }
            return (failure as? TTLCacheRefusal)?.error ?? .loadFailed(failure)
        }
    }
}
