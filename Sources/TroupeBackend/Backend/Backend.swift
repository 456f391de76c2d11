import Synchronization
public import Troupe
import TroupeStore

/// The chat and community-progression backend of PROTOCOL.md behind a typed API: the
/// front turns bytes into ``Command``s and ``Reply``s into bytes; everything else is here.
///
/// ```swift
/// let backend = try await Backend.start(configuration)
/// let connection = backend.connect(pushes: outbound)          // outbound: the front's PushSink
/// let reply = try await backend.execute(.login(credentials), on: connection)
/// await backend.disconnect(connection)
/// await backend.shutdown(deadline: .seconds(10))
/// ```
///
/// Every stateful concern is an actor with a bounded mailbox, in one supervision tree
/// (Documentation/Backend.md draws it): storage (pool, group-commit writer), services
/// (event bus, rate limiter, weights cache, accounts, unlock coordinator, health), users
/// (a session and a cache actor per user), rooms (an actor per room), and the front's own
/// subtree, started last and so stopped first.
///
/// # Concurrency contract
/// `Sendable`; every method may be called from any task. Requests of one connection take
/// effect in the order of their ``execute(_:on:)`` calls (a call waits for the previous one
/// of its connection); requests of different connections never wait for each other except
/// where they share state (a room, a user, the coordinator). ``health`` is read without a
/// hop. Nothing the backend does waits on a connection: pushes are offered to its sink.
public final class Backend: Sendable {
    /// The settings it was started with.
    public let configuration: BackendConfiguration
    /// The actor system the backend's tree runs in.
    public let system: ActorSystem
    let services: BackendServices
    let limiter: RateLimiter<UserName>
    let weights: TTLCache<String, String, [String: Int64]>
    let accounts: ChildRef<AccountsMessage>
    let coordinator: ChildRef<CoordinatorMessage>
    let monitor: ChildRef<HealthMonitor.Message>
    let sessions: KeyedActors<UserName, SessionMessage>
    let caches: KeyedActors<UserName, CacheMessage>
    let rooms: KeyedActors<RoomName, RoomMessage>
    let kdf: BlockingPool<Void>
    let hasher: PasswordHasher
    let board = HealthBoard()
    let metrics: BackendMetrics
    private let admission = Locked(Admission())
    /// Counters of other layers (the TCP front's) that STATS and METRICS include.
    let statsSources = Locked<[@Sendable () -> [(String, Int)]]>([])
    private let nextConnectionID = Atomic<UInt64>(1)
    private let liveConnections = Atomic<Int>(0)

    /// Whether new requests are taken, and how many run.
    private struct Admission {
        var draining = false
        var inFlight = 0
        var drained: [CheckedContinuation<Void, Never>] = []
        /// The drain's deadline passed: shutdown no longer waits for requests in flight.
        var gaveUp = false
    }

    // MARK: Starting

    /// Starts the backend: opens and migrates the database, writes the progression tree,
    /// creates missing admin accounts, and starts the tree. `front` is placed last under
    /// the root, so it stops first.
    ///
    /// - Throws: ``ConfigurationError`` for an invalid setting, `DatabaseError` when the
    ///   database cannot be opened or migrated, or the error of a start that failed.
    public static func start(_ configuration: BackendConfiguration, front: [ChildSpec] = []) async throws -> Backend {
        try configuration.validate()
        let system = ActorSystem(name: "troupe", configuration: try ActorSystem.Configuration(
            threads: configuration.threads, clock: configuration.clock, askTimeout: configuration.requestTimeout,
            randomSeed: configuration.randomSeed, logLevel: configuration.logLevel, logger: configuration.logger
        ))
        do {
            return try await Backend(configuration, system: system, front: front)
        } catch {
            await system.shutdown()
            throw error
        }
    }

    private init(_ configuration: BackendConfiguration, system: ActorSystem, front: [ChildSpec]) async throws {
        self.configuration = configuration
        self.system = system
        let pool = DatabasePool(configuration: configuration.database, options: configuration.pool)
        let writer = GroupCommitWriter(pool: pool, options: configuration.writer)
        let mailbox = try MailboxConfiguration(capacity: configuration.mailboxCapacity, overflow: .fail)
        let bus = EventBus<PushTopic, Push>(mailbox: try MailboxConfiguration(capacity: configuration.busCapacity, overflow: .fail))
        let services = BackendServices(
            configuration: configuration, wallClock: configuration.wallClock, pool: pool, writer: writer, bus: bus,
            counters: BackendCounters(),
            cacheConfiguration: try TTLCacheConfiguration(ttl: configuration.cacheTTL, maxEntries: configuration.cacheEntriesPerUser)
        )
        self.services = services
        limiter = RateLimiter(try RateLimiterConfiguration(
            perKey: configuration.userRate, global: configuration.globalRate,
            idleTimeout: Self.idleTimeout(of: configuration.userRate), maxKeys: configuration.maxRateLimitedUsers
        ), mailbox: mailbox)
        weights = TTLCache(try TTLCacheConfiguration(ttl: configuration.weightsTTL, maxEntries: 16), mailbox: mailbox)
        kdf = try BlockingPool(name: "kdf", threads: configuration.kdfThreads, queueCapacity: configuration.kdfQueueCapacity, clock: system.clock)
        // Making a hasher computes its dummy hash: a KDF thread's work, not the cooperative pool's.
        let cost = configuration.passwordCost
        hasher = try await kdf.run { try PasswordHasher(cost: cost) }
        accounts = ChildRef()
        coordinator = ChildRef()
        monitor = ChildRef()
        // Sessions are told things that release other things (detach, revoke): their senders
        // wait for room, up to the ask's deadline, rather than be refused.
        let sessionMailbox = try MailboxConfiguration(capacity: configuration.mailboxCapacity, overflow: .suspend())
        sessions = KeyedActors(options: try KeyedOptions(maxLive: configuration.maxSessions, idleTimeout: configuration.sessionIdleTimeout, mailbox: sessionMailbox)) { user in
            SessionBehavior(user: user, bus: bus)
        }
        caches = KeyedActors(options: try KeyedOptions(maxLive: configuration.maxCaches, idleTimeout: configuration.cacheIdleTimeout, mailbox: mailbox)) { user in
            CacheBehavior(user: user, services: services)
        }
        rooms = KeyedActors(options: try KeyedOptions(maxLive: configuration.maxRooms, idleTimeout: configuration.roomIdleTimeout, mailbox: mailbox)) { room in
            RoomBehavior(room: room, services: services)
        }
        metrics = try BackendMetrics()

        // Storage first: everything else needs it. The writer needs the pool, so rest-for-one.
        try await system.start(.supervisor("storage", SupervisorSpec(strategy: .restForOne, children: [
            pool.childSpec("db", restart: .permanent), writer.childSpec("writer", restart: .permanent),
        ])))
        try await Self.prepareStorage(configuration, services: services, hasher: hasher, kdf: kdf)

        let (kdf, hasher, board) = (self.kdf, self.hasher, self.board)
        let failedLogins = try RateLimiterConfiguration(
            perKey: configuration.failedLogins, idleTimeout: Self.idleTimeout(of: configuration.failedLogins), maxKeys: configuration.maxFailedLoginNames
        )
        try await system.start(.supervisor("services", SupervisorSpec(strategy: .oneForOne, children: [
            limiter.childSpec("limiter", restart: .permanent),
            weights.childSpec("weights", restart: .permanent),
            accounts.childSpec("accounts", mailbox: mailbox) {
                AccountsBehavior(services: services, kdf: kdf, hasher: hasher, limits: failedLogins)
            },
            coordinator.childSpec("unlock", mailbox: mailbox) { CoordinatorBehavior(services: services) },
            monitor.childSpec("health", mailbox: mailbox) { HealthMonitor(services: services, board: board) },
        ])))
        // The bus with the sessions whose connections' subscriptions it holds: a restart of
        // the bus forgets every subscription, so rest-for-one restarts the sessions too, whose
        // end makes their connections anonymous (they log in again) instead of leaving them
        // logged in and deaf.
        try await system.start(.supervisor("users", SupervisorSpec(strategy: .restForOne, children: [
            bus.childSpec("bus", restart: .permanent), sessions.childSpec("session"), caches.childSpec("cache"),
        ])))
        try await system.start(rooms.childSpec("rooms"))
        for spec in front { try await system.start(spec) }
        services.log(.info, "backend started")
    }

    /// How long an idle bucket is kept: 15 minutes, or the time the bucket takes to refill
    /// if longer (forgetting a bucket earlier would grant tokens early).
    static func idleTimeout(of bucket: TokenBucketConfiguration) -> Duration {
        max(.seconds(15 * 60), bucket.timeToFill)
    }

    /// Migrates the schema, writes the progression tree into its tables, and creates the
    /// admin accounts that do not exist yet (an existing account of an admin name is made
    /// an admin).
    private static func prepareStorage(
        _ configuration: BackendConfiguration, services: BackendServices, hasher: PasswordHasher, kdf: BlockingPool<Void>
    ) async throws {
        let catalog = ProgressionCatalog(nodes: configuration.tree.nodes.map { node in
            ProgressionCatalog.Node(id: node.name.value, title: node.title, prerequisites: node.prerequisites.map(\.value), costs: node.costs)
        })
        let now = configuration.wallClock.unixMillis()
        try await services.pool.withConnection { connection throws(DatabaseError) in
            _ = try Migrator.backend.migrate(connection)
            try BackendSchema.syncCatalog(catalog, on: connection)
        }
        for admin in configuration.admins {
            let existing = try await services.pool.query(BackendSQL.userByName, [.text(admin.value)], idempotent: true)
            if let row = existing.first {
                if try !row.decode(Bool.self, at: 2) {
                    try await services.writer.execute("UPDATE users SET is_admin = TRUE WHERE name = $1", [.text(admin.value)])
                }
                continue
            }
            let password: String
            if let given = configuration.adminPassword {
                password = given
            } else {
                password = try SessionToken.generate().text
                services.log(.warning, "admin account created user=\(admin) password=\(password) (shown once; set TROUPE_ADMIN_PASSWORD to choose it)")
            }
            let bytes = Array(password.utf8)
            let hash = try await kdf.run { try hasher.hash(bytes) }
            try await services.writer.execute(
                "INSERT INTO users (name, password_hash, is_admin, created_at) VALUES ($1, $2, TRUE, $3)",
                [.text(admin.value), .text(hash), .integer(now)]
            )
        }
    }

    // MARK: Connections

    /// A new connection whose pushes go to `pushes` (the front's bounded outbound buffer).
    public func connect(pushes: any PushSink) -> BackendConnection {
        liveConnections.add(1, ordering: .relaxed)
        return BackendConnection(id: nextConnectionID.add(1, ordering: .relaxed).oldValue, sink: pushes)
    }

    /// The connection closed: its subscriptions end at once, and it leaves its session.
    /// Later requests on it are refused; call once per connection (more does nothing).
    public func disconnect(_ connection: BackendConnection) async {
        guard let (login, released) = connection.close() else { return }
        liveConnections.subtract(1, ordering: .relaxed)
        services.bus.tryUnsubscribe(released)
        guard let login else { return }
        // Best effort: a session that misses it forgets the connection at its next prune.
        _ = try? await sessions.ask(login.user) { .detach(connectionID: connection.id, $0) }
    }

    /// Connections made and not yet disconnected.
    public var connectionCount: Int { liveConnections.load(ordering: .relaxed) }

    /// Whether storage answers, as of the last probe; read without a hop.
    public var health: Health { board.health }

    // MARK: Requests

    /// Answers one request of `connection`.
    ///
    /// - Throws: the ``ErrorReply`` to send: its code is one of PROTOCOL.md's. `SHUTDOWN` once
    ///   ``shutdown(deadline:)`` has begun.
    public func execute(_ command: Command, on connection: BackendConnection) async throws(ErrorReply) -> Reply {
        guard enter() else {
            services.counters.refusedWhileDraining.add(1, ordering: .relaxed)
            throw .shuttingDown
        }
        guard !connection.isClosed else {
            leave()
            throw .connectionClosed
        }
        guard await connection.beginRequest() else {
            leave()
            throw .busy("too many pipelined requests on this connection")
        }
        let started = system.clock.now
        let result: Result<Reply, ErrorReply>
        do {
            result = .success(try await dispatch(command, on: connection))
        } catch {
            result = .failure(noticeFailure(error))
        }
        metrics.record(command.name, started.duration(to: system.clock.now))
        connection.endRequest()
        leave()
        return try result.get()
    }

    /// The reply for `error`; storage found unreachable by a request is posted to the
    /// health board at once (the monitor confirms or clears it at its next probe).
    private func noticeFailure(_ error: any Error) -> ErrorReply {
        let reply = ErrorReply.from(error)
        if Self.storageUnavailable(error) { board.set(.unavailable(reply.message)) }
        return reply
    }

    /// Whether `error` says storage is unreachable (or behind its open breaker), directly or
    /// as an actor's reply.
    static func storageUnavailable(_ error: any Error) -> Bool {
        switch error {
        case let database as DatabaseError: database.kind == .unavailable
        case AskError.failed(let cause): storageUnavailable(cause)
        case BlockingPoolError.failed(let cause): storageUnavailable(cause)
        default: false
        }
    }

    private func enter() -> Bool {
        admission.withLock { admission in
            guard !admission.draining else { return false }
            admission.inFlight += 1
            return true
        }
    }

    private func leave() {
        let waiters: [CheckedContinuation<Void, Never>] = admission.withLock { admission in
            admission.inFlight -= 1
            guard admission.draining, admission.inFlight == 0 else { return [] }
            defer { admission.drained.removeAll() }
            return admission.drained
        }
        for waiter in waiters { waiter.resume() }
    }

    // MARK: Shutdown

    /// Stops the backend: new requests get `-SHUTDOWN`, requests in flight finish (up to
    /// `deadline`), then the tree stops in reverse order (the front first, storage last) and
    /// the KDF threads end.
    @discardableResult
    public func shutdown(deadline: Duration = .seconds(10)) async -> ShutdownReport {
        let clock = system.clock
        let end = clock.now.advanced(by: deadline)
        let alreadyDrained: Bool = admission.withLock { admission in
            admission.draining = true
            return admission.inFlight == 0
        }
        if !alreadyDrained {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { [self] in
                    await withCheckedContinuation { continuation in
                        let done: Bool = admission.withLock { admission in
                            guard admission.inFlight > 0, !admission.gaveUp else { return true }
                            admission.drained.append(continuation)
                            return false
                        }
                        if done { continuation.resume() }
                    }
                }
                group.addTask { [self] in
                    // At the deadline, stop waiting for the requests in flight: release the
                    // drain waiter (it does not end by cancellation).
                    _ = try? await clock.sleep(until: end, tolerance: nil)
                    let waiters: [CheckedContinuation<Void, Never>] = admission.withLock { admission in
                        admission.gaveUp = true
                        defer { admission.drained.removeAll() }
                        return admission.drained
                    }
                    for waiter in waiters { waiter.resume() }
                }
                await group.next()
                group.cancelAll()
            }
        }
        // What is left of the deadline bounds the tree's stop (at least a moment for it). The
        // system waits its timeout twice at most (a graceful stop, then one after cancelling),
        // so it gets half of what is left.
        let left = max(clock.now.duration(to: end), .milliseconds(100))
        let report = await system.shutdown(timeout: left / 2)
        await kdf.shutdown()
        return report
    }
}
