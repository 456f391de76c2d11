public import Troupe
public import TroupeStore

/// Everything a ``Backend`` is started from: the database, the admins, fault injection,
/// every limit and rate of PROTOCOL.md, the progression tree, and the clocks. Every bound
/// has a default (PROTOCOL.md's where it names one) and is checked by ``validate()``, which
/// ``Backend/start(_:front:)`` calls first.
public struct BackendConfiguration: Sendable {
    // MARK: Storage

    /// The database: SQLite (the default, `./troupe.db`) or PostgreSQL.
    public var database: DatabaseConfiguration = .sqlite(SQLiteConfiguration(path: "troupe.db"))
    /// The connection pool's bounds.
    public var pool = PoolOptions()
    /// The group-commit writer's bounds; every acknowledged write goes through it.
    public var writer = WriterOptions()

    // MARK: Accounts

    /// User names that are admins. Each is created at start if missing, with
    /// ``adminPassword`` or a random password logged once; nobody can `REGISTER` one.
    public var admins: [UserName] = []
    /// The password of admin accounts created at start (the server reads
    /// `TROUPE_ADMIN_PASSWORD`); nil: a random one, logged once.
    public var adminPassword: String?
    /// yescrypt's cost parameter (1–11; each step doubles the work).
    public var passwordCost = 5
    /// Threads that hash passwords (the KDF pool; never Swift's cooperative pool).
    public var kdfThreads = max(1, ActorSystem.Configuration.defaultThreads)
    /// Hashes that may wait for a KDF thread; one more is `-BUSY` at once.
    public var kdfQueueCapacity = 64
    /// How long a login token stays valid.
    public var tokenLifetime: Duration = .seconds(30 * 24 * 3_600)
    /// Failed `LOGIN`/`AUTH` per user name: 5, refilling at 5 a minute.
    public var failedLogins = try! TokenBucketConfiguration(capacity: 5, refill: 5, per: .seconds(60))
    /// Most user names whose failed logins are remembered (least recently used forgotten).
    public var maxFailedLoginNames = 100_000

    // MARK: Rate limits

    /// `SAY`, `DM`, `ENGAGE` and `VOTE` per user: 20/s, bursts of 40.
    public var userRate = try! TokenBucketConfiguration.perSecond(20, burst: 40)
    /// The same commands for the whole server: 50,000/s.
    public var globalRate = try! TokenBucketConfiguration.perSecond(50_000, burst: 50_000)
    /// Most users with a live bucket (least recently used forgotten: a forgotten user has a
    /// full bucket again, which never grants more than one burst early).
    public var maxRateLimitedUsers = 100_000

    // MARK: Actors

    /// Most session actors at once (one per logged-in user).
    public var maxSessions = 100_000
    /// A session with no connection and no request for this long is stopped (one with a
    /// connection never is).
    public var sessionIdleTimeout: Duration = .seconds(60)
    /// Most per-user cache actors at once (least recently used evicted).
    public var maxCaches = 10_000
    /// A user's cache actor with no request for this long is stopped.
    public var cacheIdleTimeout: Duration = .seconds(300)
    /// How long a user's DM conversations stay cached.
    public var cacheTTL: Duration = .seconds(60)
    /// Cached conversation pages per user.
    public var cacheEntriesPerUser = 64
    /// Rooms one connection may have joined at once; one more `JOIN` is `-TOOLARGE`.
    public var maxRoomsPerConnection = 1_000
    /// Most room actors at once (least recently used evicted; their messages are stored).
    public var maxRooms = 10_000
    /// A room with no request for this long is stopped.
    public var roomIdleTimeout: Duration = .seconds(600)
    /// Messages a room keeps in memory (HISTORY's largest count).
    public var roomRecentMessages = Command.maxCount
    /// Messages a room writes in one group-commit write.
    public var roomWriteBatch = 256
    /// `SAY`s a room holds while a write is in flight; one more is `-BUSY`.
    public var roomPendingCapacity = 4_096
    /// Requests waiting in one actor's mailbox (sessions, caches, rooms, services); one more
    /// is `-BUSY` at once.
    public var mailboxCapacity = 1_024
    /// Pushes waiting in the event bus's mailbox; one more is dropped and counted.
    public var busCapacity = 65_536
    /// The deadline of every ask a request makes (each wait for an actor's reply, mailbox
    /// room included); past it the request is `-TIMEOUT`. Storage waits have their own
    /// deadlines (``PoolOptions/defaultTimeout``, ``WriterOptions/timeout``).
    public var requestTimeout: Duration = .seconds(5)

    // MARK: Engagement

    /// How long engagement weights are cached.
    public var weightsTTL: Duration = .seconds(60)
    /// The progression tree.
    public var tree: ProgressionTree = .standard
    /// How long a voting session stays open.
    public var votingDuration: Duration = .seconds(30)
    /// Contributions and votes the unlock coordinator holds while a batch commits; one more
    /// is `-BUSY` (a `SAY`'s or `DM`'s credit is then dropped and counted).
    public var coordinatorPendingCapacity = 8_192

    // MARK: Operations

    /// Whether `CRASH` may inject faults.
    public var faultInjection = false
    /// How often storage health is probed (`HEALTH` reads the last result).
    public var healthInterval: Duration = .seconds(1)
    /// The deadline of `STATS`' fan-out.
    public var statsTimeout: Duration = .seconds(1)
    /// This node's id, as `HELLO` reports it.
    public var nodeID = "troupe-1"

    // MARK: Runtime

    /// Executor threads of the actor system.
    public var threads = ActorSystem.Configuration.defaultThreads
    /// The monotonic clock for timers and deadlines; nil: the system clock.
    public var clock: (any ActorClock)?
    /// The time of day, for message times and token expiry.
    public var wallClock = WallClock.system
    /// Seed for jitter; nil: random.
    public var randomSeed: UInt64?
    /// Log lines below this level are dropped.
    public var logLevel: LogLevel = .info
    /// Where log lines go; default standard error.
    public var logger: @Sendable (LogLevel, String) -> Void = ActorSystem.Configuration.standardError

    /// The longest `tokenLifetime` or `votingDuration` accepted.
    public static let longestDuration: Duration = .seconds(100 * 365 * 24 * 3_600)

    /// The defaults: SQLite at `./troupe.db`, no admins, PROTOCOL.md's limits.
    public init() {}

    /// Checks every bound.
    ///
    /// - Throws: ``ConfigurationError`` naming the first setting at fault.
    public func validate() throws(ConfigurationError) {
        try database.validate()
        for (value, name) in [
            (passwordCost, "password cost"), (kdfThreads, "KDF threads"), (kdfQueueCapacity, "KDF queue capacity"),
            (maxFailedLoginNames, "failed-login names"), (maxRateLimitedUsers, "rate-limited users"),
            (maxSessions, "sessions"), (maxCaches, "caches"), (cacheEntriesPerUser, "cache entries per user"),
            (maxRooms, "rooms"), (roomRecentMessages, "room recent messages"), (roomWriteBatch, "room write batch"),
            (roomPendingCapacity, "room pending capacity"), (maxRoomsPerConnection, "rooms per connection"),
            (mailboxCapacity, "mailbox capacity"), (busCapacity, "bus capacity"),
            (coordinatorPendingCapacity, "coordinator pending capacity"),
        ] where value < 1 {
            throw .notPositive(setting: name, value: value)
        }
        guard (1...11).contains(passwordCost) else { throw .outOfRange(setting: "password cost", value: Double(passwordCost), range: 1...11) }
        guard roomRecentMessages >= Command.maxCount else {
            throw .outOfRange(setting: "room recent messages", value: Double(roomRecentMessages), range: Double(Command.maxCount)...Double(Int32.max))
        }
        for (value, name) in [
            (tokenLifetime, "token lifetime"), (sessionIdleTimeout, "session idle timeout"), (cacheIdleTimeout, "cache idle timeout"), (cacheTTL, "cache TTL"),
            (roomIdleTimeout, "room idle timeout"), (requestTimeout, "request timeout"), (weightsTTL, "weights TTL"),
            (votingDuration, "voting duration"), (healthInterval, "health interval"), (statsTimeout, "stats timeout"),
        ] where value <= .zero {
            throw .invalidDuration(setting: name, value: value)
        }
        // Durations turned into Unix milliseconds must stay far from Int64's end.
        for (value, name) in [(tokenLifetime, "token lifetime"), (votingDuration, "voting duration")] where value > Self.longestDuration {
            throw .invalidDuration(setting: "\(name) (at most 100 years)", value: value)
        }
        guard !nodeID.isEmpty else { throw .invalidName("node id (empty)") }
    }
}
