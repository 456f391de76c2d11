import CBenchSupport
import Foundation
import Troupe
import TroupeBackend
import TroupeStore

/// The backend's figures: SAY throughput through the typed API against the group-commit
/// writer's raw ceiling, logins against the KDF's capacity, and memory per idle user.
struct BackendBenchmarks {
    let harness: Harness

    static let users = 1_000
    static let rooms = 100
    /// `TROUPE_BENCH_MEMORY_ONLY=1`: only the memory figure (a quick look while tuning).
    static let memoryOnly = ProcessInfo.processInfo.environment["TROUPE_BENCH_MEMORY_ONLY"] == "1"

    /// One figure alone (`TroupeBenchmarks backend-say`, for a profiler).
    func run(only figure: String) async throws {
        switch figure {
        case "say": try await say()
        case "login": try await login()
        default: try await memory()
        }
    }

    func run() async throws {
        if StoreBenchmarks.setTrimThreshold(StoreBenchmarks.trimThreshold) {
            emit("# backend: glibc M_TRIM_THRESHOLD=\(StoreBenchmarks.trimThreshold >> 20) MiB (as the server sets it)")
        }
        try await memory()
        guard !Self.memoryOnly else { return }
        try await say()
        try await login()
    }

    /// A backend on a fresh SQLite file (synchronous=FULL, WAL), rate limits raised so the
    /// figure measures the backend (and the front), not its limits. Shared by the server suite.
    static func start(_ directory: String, passwordCost: Int = 1) async throws -> Backend {
        var configuration = BackendConfiguration()
        configuration.database = .sqlite(SQLiteConfiguration(path: "\(directory)/backend.sqlite"))
        configuration.passwordCost = passwordCost
        configuration.userRate = try .perSecond(100_000_000, burst: 100_000_000)
        configuration.globalRate = try .perSecond(100_000_000, burst: 100_000_000)
        configuration.logLevel = .error
        configuration.requestTimeout = .seconds(60)
        configuration.writer = try WriterOptions(maxPending: 100_000, maxGroupSize: 1_024, timeout: .seconds(60))
        configuration.mailboxCapacity = 4_096
        return try await Backend.start(configuration)
    }

    final class NullSink: PushSink {
        func offer(_ push: Push) -> Bool { true }
    }

    /// Registers and logs in `count` users (`user0`…), each on its own connection, 32 at a
    /// time (the KDF queue holds 64: more at once would be refused with BUSY, by design).
    private func logIn(_ count: Int, on backend: Backend) async throws -> [BackendConnection] {
        var connections: [BackendConnection] = []
        for start in stride(from: 0, to: count, by: 32) {
            connections += try await withThrowingTaskGroup(of: BackendConnection.self) { group in
                for index in start..<min(count, start + 32) {
                    group.addTask {
                        let connection = backend.connect(pushes: NullSink())
                        let name = UserName("user\(index)")!
                        let password = Array("password-\(index)".utf8)
                        _ = try await backend.execute(.register(user: name, password: password), on: connection)
                        _ = try await backend.execute(.login(.init(user: name, password: password)), on: connection)
                        return connection
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        return connections
    }

    // MARK: SAY

    /// 1,000 users in 100 rooms, each sending SAYs one after the other (awaiting each
    /// reply: acknowledged means committed), all users at once. Peer: the group-commit
    /// writer's raw ceiling in the same run, 1,000 concurrent writers inserting one row
    /// after the other.
    private func say() async throws {
        let directory = try StoreBenchmarks.makeDirectory("troupe-bench-backend")
        defer { _ = StoreBenchmarks.shell(["rm", "-rf", directory]) }
        let backend = try await Self.start(directory)
        let connections = try await logIn(harness.count(Self.users), on: backend)
        let perUser = harness.count(20)
        let text = Array("hello from the benchmark".utf8)
        let rate = try await harness.rate(operations: connections.count * perUser) {
            try await measure {
                try await withThrowingTaskGroup(of: Int64.self) { group in
                    for (index, connection) in connections.enumerated() {
                        group.addTask {
                            let room = RoomName("room\(index % Self.rooms)")!
                            var sum: Int64 = 0
                            for _ in 0..<perUser {
                                guard case .integer(let id) = try await backend.execute(.say(room, text: text), on: connection) else { continue }
                                sum &+= id
                            }
                            return sum
                        }
                    }
                    let total = try await group.reduce(0, &+)
                    precondition(total > 0, "every SAY returns an id")
                }
            }
        }
        await backend.shutdown()
        let ceiling = try await writerCeiling(directory, writers: connections.count, perWriter: perUser)
        emit(Harness.line("backend.say", value: rate, unit: "msgs/s", peer: ("group-commit-writer-raw", ceiling)))
    }

    /// Inserts per second of `writers` concurrent tasks through a bare group-commit writer.
    private func writerCeiling(_ directory: String, writers: Int, perWriter: Int) async throws -> Double {
        let system = ActorSystem(name: "ceiling")
        let pool = DatabasePool(
            configuration: .sqlite(SQLiteConfiguration(path: "\(directory)/ceiling.sqlite")),
            options: try PoolOptions(minConnections: 1, maxConnections: 2, maxWaiters: 1_000, defaultTimeout: .seconds(60))
        )
        let writer = GroupCommitWriter(pool: pool, options: try WriterOptions(maxPending: 100_000, maxGroupSize: 1_024, timeout: .seconds(60)))
        try await system.start(pool, name: "db")
        try await system.start(writer, name: "writer")
        let user = try await pool.withConnection { connection throws(DatabaseError) in
            _ = try Migrator.backend.migrate(connection)
            return try connection.queryFirst(
                "INSERT INTO users (name, password_hash, is_admin, created_at) VALUES ($1, $2, $3, $4) RETURNING id", ["bench", "h", false, 0]
            )!.decode(Int64.self, at: 0)
        }
        let body = Array("hello from the benchmark".utf8)
        let rate = try await harness.rate(operations: writers * perWriter) {
            try await measure {
                try await withThrowingTaskGroup(of: Int64.self) { group in
                    for index in 0..<writers {
                        group.addTask {
                            var sum: Int64 = 0
                            for _ in 0..<perWriter {
                                sum &+= try await writer.insert(
                                    "INSERT INTO room_messages (room, user_id, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
                                    [.text("room\(index % Self.rooms)"), .integer(user), .blob(body), .integer(0)]
                                )
                            }
                            return sum
                        }
                    }
                    let total = try await group.reduce(0, &+)
                    precondition(total > 0, "every insert returns an id")
                }
            }
        }
        await system.shutdown()
        return rate
    }

    // MARK: LOGIN

    /// Logins per second at the default password cost, 50 at once, against the KDF's
    /// capacity measured in the same run: its threads ÷ the time of one hash.
    private func login() async throws {
        let directory = try StoreBenchmarks.makeDirectory("troupe-bench-login")
        defer { _ = StoreBenchmarks.shell(["rm", "-rf", directory]) }
        let cost = BackendConfiguration().passwordCost
        let backend = try await Self.start(directory, passwordCost: cost)
        let users = 50
        let connections = try await logIn(users, on: backend)
        let perUser = harness.count(4)
        let rate = try await harness.rate(operations: users * perUser) {
            try await measure {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (index, connection) in connections.enumerated() {
                        group.addTask {
                            let credentials = Command.Credentials(user: UserName("user\(index)")!, password: Array("password-\(index)".utf8))
                            for _ in 0..<perUser { _ = try await backend.execute(.auth(credentials), on: connection) }
                        }
                    }
                    try await group.waitForAll()
                }
            }
        }
        await backend.shutdown()
        let hasher = try PasswordHasher(cost: cost)
        let stored = try hasher.hash(Array("password".utf8))
        let samples = 10
        let oneHash = await measure { for _ in 0..<samples { _ = hasher.verify(Array("password".utf8), against: stored) } }.seconds / Double(samples)
        let capacity = Double(BackendConfiguration().kdfThreads) / oneHash
        emit(Harness.line("backend.login", value: rate, unit: "logins/s", peer: ("kdf-capacity", capacity)))
    }

    // MARK: Memory

    /// Heap bytes per idle logged-in user: its session actor (with one connection and its
    /// push subscriptions) and its cache actor (one cached conversation page). A warm-up
    /// round of other users first, so that what storage keeps (connections opened, SQLite's
    /// page cache, prepared statements) is not counted as the users'.
    private func memory() async throws {
        let directory = try StoreBenchmarks.makeDirectory("troupe-bench-memory")
        defer { _ = StoreBenchmarks.shell(["rm", "-rf", directory]) }
        let backend = try await Self.start(directory)
        let count = harness.count(2_000)
        let warmUp = max(1, count / 4)
        // Accounts first, so the figure holds only what a login and its cache cost.
        let registrar = backend.connect(pushes: NullSink())
        for index in 0..<(warmUp + count) {
            _ = try await backend.execute(.register(user: UserName("user\(index)")!, password: Array("password-\(index)".utf8)), on: registrar)
        }
        func logIn(_ range: Range<Int>) async throws -> [BackendConnection] {
            var connections: [BackendConnection] = []
            for index in range {
                let connection = backend.connect(pushes: NullSink())
                let name = UserName("user\(index)")!
                _ = try await backend.execute(.login(.init(user: name, password: Array("password-\(index)".utf8))), on: connection)
                connections.append(connection)
            }
            return connections
        }
        func readConversations(_ connections: [BackendConnection], from first: Int) async throws {
            for (offset, connection) in connections.enumerated() {
                _ = try await backend.execute(.dms(with: UserName("user\(first + offset)")!, count: 50), on: connection)
            }
        }
        let warm = try await logIn(0..<warmUp)
        try await readConversations(warm, from: 0)
        let heapBefore = troupe_bench_heap_in_use()
        let connections = try await logIn(warmUp..<(warmUp + count))
        let heapSessions = troupe_bench_heap_in_use()
        try await readConversations(connections, from: warmUp)
        let heapAfter = troupe_bench_heap_in_use()
        emit("# backend memory: session \((Int(heapSessions) - Int(heapBefore)) / count) bytes/user, cache \((Int(heapAfter) - Int(heapSessions)) / count) bytes/user")
        emit(Harness.line("backend.memory", value: Double(Int(heapAfter) - Int(heapBefore)) / Double(count), unit: "bytes/user"))
        withExtendedLifetime(warm) {}
        withExtendedLifetime(connections) {}
        await backend.shutdown()
    }
}
