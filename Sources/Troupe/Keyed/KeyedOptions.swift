/// Bounds and lifecycle of a set of keyed actors.
public struct KeyedOptions: Sendable {
    /// Most actors that exist at once (running, or finishing before they stop). A message
    /// for a new key when all exist evicts the least recently used actor (it finishes its
    /// queued messages, then stops) and the sender waits for its slot, as a sender waits for
    /// mailbox room: up to the mailbox's suspend timeout with policy `suspend`, not at all
    /// with the other policies (``SendOutcome/full``), and `trySend` never. Memory is bounded
    /// by this, not by how many keys ever appeared. Pinned actors
    /// (``ActorContext/keepAlive(_:)``) are never evicted: when every actor is pinned, a new
    /// key waits (or gets `.full`) until one unpins or stops.
    public let maxLive: Int
    /// An actor that received nothing for this long is passivated (stopped; a later message
    /// re-creates it). nil: only eviction stops them. A pinned actor
    /// (``ActorContext/keepAlive(_:)``) is never passivated; once unpinned, its idle time
    /// counts from the unpin (or a later message).
    public let idleTimeout: Duration?
    /// Every keyed actor's mailbox.
    public let mailbox: MailboxConfiguration
    /// When a keyed actor restarts; default transient (after failures only).
    public let restart: RestartType
    /// How a keyed actor is stopped.
    public let shutdown: ShutdownPolicy
    /// Restarts the keyed supervisor tolerates across all its actors before it escalates.
    public let intensity: RestartIntensity

    /// - Throws: ``ConfigurationError`` if `maxLive` is below 1 or `idleTimeout` not positive.
    public init(
        maxLive: Int,
        idleTimeout: Duration?,
        mailbox: MailboxConfiguration,
        restart: RestartType = .transient,
        shutdown: ShutdownPolicy = .defaultForActors,
        intensity: RestartIntensity = .default
    ) throws(ConfigurationError) {
        try ConfigurationError.requirePositive(maxLive, "keyed maxLive")
        if let idleTimeout { try ConfigurationError.requirePositive(idleTimeout, "keyed idle timeout") }
        self.maxLive = maxLive
        self.idleTimeout = idleTimeout
        self.mailbox = mailbox
        self.restart = restart
        self.shutdown = shutdown
        self.intensity = intensity
    }
}

/// Counters of a set of keyed actors.
public struct KeyedMetrics: Sendable, Hashable {
    /// Actors running now (including those finishing before they stop).
    public let live: Int
    /// The most that ever ran at once (never above `maxLive`).
    public let liveHighWaterMark: Int
    /// Actors that exist now, each holding a slot: running, finishing, or created and
    /// waiting for their key's previous actor to stop (never above `maxLive`).
    public let cells: Int
    /// Senders waiting for a slot to create a new key's actor.
    public let waitingSenders: Int
    /// Actors created so far.
    public let spawned: Int
    /// Actors stopped because they were idle.
    public let passivated: Int
    /// Actors stopped to make room under `maxLive`.
    public let evicted: Int
    /// Running actors kept alive by ``ActorContext/keepAlive(_:)`` now: neither passivated
    /// nor evicted until they unpin, restart or stop.
    public let pinned: Int
}
