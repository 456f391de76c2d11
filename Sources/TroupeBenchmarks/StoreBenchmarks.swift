import Foundation
import Glibc
import Troupe
import TroupeStore

/// The storage figures (`make bench-store`):
/// - `store.sqlite.insert`, `store.postgres.insert`: durable inserts by 50 concurrent
///   writers through the group-commit writer, beside the same writers with one transaction
///   per insert through the pool (the peer);
/// - `store.pool.overhead`: `SELECT 1` through the pool, one caller awaiting each, beside
///   the same query in a loop directly on one connection; `.actor`: the same caller as an
///   actor (as the server's callers are: its hops stay on the runtime's threads).
///
/// Every write is durable as configured for production: SQLite `synchronous=FULL` on a file
/// on disk; PostgreSQL on a throwaway server started here with `fsync=on` (unlike the test
/// server) and `synchronous_commit=on`. Both sides of a figure run in the same process, one
/// after the other, on fresh tables.
struct StoreBenchmarks {
    let harness: Harness

    /// Concurrent writers in the insert figures.
    static let writers = 50

    /// The allocator's trim threshold for the storage figures (see ``run()``).
    static let trimThreshold: Int32 = 64 << 20

    func run() async throws {
        // glibc returns freed memory at the top of a thread's arena to the kernel past 128 KiB
        // (madvise). SQLite frees its statement-journal bookkeeping after every statement of
        // a multi-statement transaction, so a connection thread running a group commit
        // trimmed its arena tens of thousands of times a second here, and each trim is a TLB
        // shootdown across cores (a third of the grouped run's time in a VM). A server sets
        // this once at start, as this process does (the peer is unaffected: a lone
        // autocommit INSERT keeps no statement journal).
        if Self.setTrimThreshold(Self.trimThreshold) {
            emit("# store: glibc M_TRIM_THRESHOLD=\(Self.trimThreshold >> 20) MiB (see Documentation/Storage.md)")
        } else {
            emit("# store: could not set glibc's M_TRIM_THRESHOLD; grouped SQLite inserts will be slower")
        }
        let directory = try Self.makeDirectory("troupe-bench-store")
        defer { _ = Self.shell(["rm", "-rf", directory]) }

        // SQLite has one writer at a time: the peer gets one connection (more would only
        // queue in SQLite's busy handler, which sleeps in milliseconds).
        let sqlite = DatabaseConfiguration.sqlite(SQLiteConfiguration(path: "\(directory)/bench.sqlite"))
        try await insertFigure("store.sqlite.insert", sqlite, peerConnections: 1, groupsInFlight: 1)

        if let server = try PostgresServer.start() {
            defer { server.stop() }
            // PostgreSQL commits concurrent transactions in parallel (and flushes their WAL
            // together): the peer gets 8 connections.
            // Groups overlap their round trips on 4 connections (see WriterOptions).
            try await insertFigure("store.postgres.insert", .postgres(PostgresConfiguration(url: server.url)), peerConnections: 8, groupsInFlight: 4)
        } else {
            emit("# store.postgres.insert skipped: PostgreSQL server binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin; run `make deps`")
        }

        try await poolOverhead(.sqlite(SQLiteConfiguration(path: "\(directory)/overhead.sqlite")))
    }

    /// `store.pool.overhead` alone (SQLite), for profiling.
    func runPoolOverhead() async throws {
        let directory = try Self.makeDirectory("troupe-bench-store")
        defer { _ = Self.shell(["rm", "-rf", directory]) }
        try await poolOverhead(.sqlite(SQLiteConfiguration(path: "\(directory)/overhead.sqlite")))
    }

    // MARK: - Inserts

    private func insertFigure(_ name: String, _ configuration: DatabaseConfiguration, peerConnections: Int, groupsInFlight: Int) async throws {
        let grouped = try await insertRate(configuration, groupsInFlight: groupsInFlight, connections: groupsInFlight + 1)
        let peer = try await insertRate(configuration, groupsInFlight: nil, connections: peerConnections)
        emit(Harness.line(name, value: grouped, unit: "inserts/s", peer: ("one-txn-per-insert", peer)))
    }

    /// Inserts per second by ``writers`` concurrent writers, each awaiting its insert before
    /// the next: through the group-commit writer (with `groupsInFlight`), or (nil) one
    /// autocommit transaction each.
    private func insertRate(_ configuration: DatabaseConfiguration, groupsInFlight: Int?, connections: Int) async throws -> Double {
        let grouped = groupsInFlight != nil
        let system = ActorSystem(name: "bench")
        let pool = DatabasePool(
            configuration: configuration,
            options: try PoolOptions(minConnections: 1, maxConnections: connections, maxWaiters: 1_000, defaultTimeout: .seconds(60))
        )
        let writer = GroupCommitWriter(pool: pool, options: try WriterOptions(maxGroupsInFlight: groupsInFlight ?? 1))
        try await system.start(pool, name: "db")
        try await system.start(writer, name: "writer")
        let user = try await pool.withConnection { connection throws(DatabaseError) in
            _ = try Migrator.backend.migrate(connection)
            try connection.execute("DELETE FROM room_messages")
            try connection.execute("DELETE FROM users")
            return try connection.queryFirst(
                "INSERT INTO users (name, password_hash, is_admin, created_at) VALUES ($1, $2, $3, $4) RETURNING id", ["bench", "h", false, 0]
            )!.decode(Int64.self, at: 0)
        }
        // The writers are actors, as the backend's room actors are; each inserts its share,
        // awaiting each insert before the next. A grouped run is fast enough for ten times
        // the inserts in the same time.
        let perWriter = harness.count(grouped ? 200 : 20)
        var writers: [ActorRef<Writer.Message>] = []
        for index in 0..<Self.writers {
            writers.append(
                try await system.spawn("writer-\(index)", mailbox: try MailboxConfiguration(capacity: 4)) {
                    Writer(index: index, user: user, pool: pool, writer: grouped ? writer : nil)
                }
            )
        }
        let rate = try await harness.rate(operations: Self.writers * perWriter) {
            try await measure {
                try await withThrowingTaskGroup(of: Int64.self) { group in
                    for ref in writers {
                        group.addTask { try await ref.ask(timeout: .seconds(600)) { .insert(count: perWriter, reply: $0) } }
                    }
                    // Uses every id, so no insert is optimised away.
                    let total = try await group.reduce(0, &+)
                    precondition(total > 0, "every insert returns a positive id")
                }
            }
        }
        await system.shutdown()
        return rate
    }

    /// One of the concurrent writers: inserts messages one after the other, through the
    /// group-commit writer or (nil) one transaction each through the pool, and replies with
    /// the sum of the ids it got.
    struct Writer: Behavior {
        enum Message: Sendable {
            case insert(count: Int, reply: ReplyTo<Int64>)
        }

        static let insert = "INSERT INTO room_messages (room, user_id, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id"

        let index: Int
        let user: Int64
        let pool: DatabasePool
        let writer: GroupCommitWriter?
        var sequence: Int64 = 0

        mutating func receive(_ message: Message, context: ActorContext<Message>) async throws {
            switch message {
            case .insert(let count, let reply):
                var idSum: Int64 = 0
                for _ in 0..<count {
                    sequence += 1
                    let parameters: [DatabaseValue] = ["bench", .integer(user), .blob(Array("message \(index).\(sequence)".utf8)), .integer(sequence)]
                    if let writer {
                        idSum &+= try await writer.insert(Self.insert, parameters)
                    } else {
                        idSum &+= try await pool.query(Self.insert, parameters)[0].decode(Int64.self, at: 0)
                    }
                }
                reply.reply(idSum)
            }
        }
    }

    // MARK: - Pool overhead

    private func poolOverhead(_ configuration: DatabaseConfiguration) async throws {
        let queries = harness.count(20_000)
        let connection = try configuration.connect()
        let direct = try await harness.rate(operations: queries) {
            try await measure {
                var sum = 0
                for _ in 0..<queries { sum &+= try connection.query("SELECT 1")[0].decode(Int.self, at: 0) }
                precondition(sum == queries, "every query answers 1")
            }
        }
        connection.close()

        let system = ActorSystem(name: "bench")
        let pool = DatabasePool(configuration: configuration, options: try PoolOptions(minConnections: 1, maxConnections: 1))
        try await system.start(pool, name: "db")
        let pooled = try await harness.rate(operations: queries) {
            try await measure {
                var sum = 0
                for _ in 0..<queries { sum &+= try await pool.query("SELECT 1", idempotent: true)[0].decode(Int.self, at: 0) }
                precondition(sum == queries, "every query answers 1")
            }
        }
        let caller = try await system.spawn("caller", mailbox: .init(capacity: 1)) { PoolCaller(pool: pool) }
        let fromActor = try await harness.rate(operations: queries) {
            try await measure {
                let sum = try await caller.ask(timeout: .seconds(600)) { (queries, $0) }
                precondition(sum == queries, "every query answers 1")
            }
        }
        await system.shutdown()
        emit(Harness.line("store.pool.overhead", value: pooled, unit: "queries/s", peer: ("direct-connection", direct)))
        emit(Harness.line("store.pool.overhead.actor", value: fromActor, unit: "queries/s", peer: ("direct-connection", direct)))
    }

    /// Runs `count` queries through the pool one after another, as a server's actor would.
    struct PoolCaller: Behavior {
        let pool: DatabasePool

        func receive(_ message: (count: Int, done: ReplyTo<Int>), context: ActorContext<(count: Int, done: ReplyTo<Int>)>) async throws {
            var sum = 0
            for _ in 0..<message.count { sum &+= try await pool.query("SELECT 1", idempotent: true)[0].decode(Int.self, at: 0) }
            message.done.reply(sum)
        }
    }

    // MARK: - Support

    /// A throwaway PostgreSQL server with production durability (`fsync=on`), managed with
    /// `pg_ctl`; run as the `postgres` OS user when this process is root (initdb refuses root).
    struct PostgresServer {
        let url: String
        private let directory: String
        private let pgCtl: String
        private let prefix: [String]

        /// Starts a server, or returns nil when the server binaries are missing.
        static func start() throws -> PostgresServer? {
            let versions = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []).compactMap(Int.init).sorted(by: >)
            guard let bin = versions.map({ "/usr/lib/postgresql/\($0)/bin" }).first(where: { FileManager.default.isExecutableFile(atPath: "\($0)/pg_ctl") })
            else { return nil }
            let directory = try StoreBenchmarks.makeDirectory("troupe-bench-pg")
            let prefix = geteuid() == 0 ? ["runuser", "-u", "postgres", "--"] : []
            if geteuid() == 0 { _ = shell(["chown", "postgres:", directory]) }
            let server = PostgresServer(url: "", directory: directory, pgCtl: "\(bin)/pg_ctl", prefix: prefix)
            // --no-sync only skips syncing the new cluster's files once; the server itself
            // runs with fsync on.
            guard shell(prefix + ["\(bin)/initdb", "-D", "\(directory)/data", "-U", "troupe", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"]) == 0 else {
                server.stop()
                throw BenchmarkError("initdb failed")
            }
            let port = try freeLoopbackPort()
            let options = "-p \(port) -k \(directory) -h 127.0.0.1 -c fsync=on -c max_connections=50"
            guard shell(prefix + ["\(bin)/pg_ctl", "-D", "\(directory)/data", "-l", "\(directory)/postgres.log", "-o", options, "-w", "-t", "60", "start"]) == 0 else {
                server.stop()
                throw BenchmarkError("PostgreSQL did not start; see \(directory)/postgres.log")
            }
            return PostgresServer(url: "postgresql://troupe@127.0.0.1:\(port)/postgres", directory: directory, pgCtl: "\(bin)/pg_ctl", prefix: prefix)
        }

        /// Stops the server (fast shutdown) and removes its directory.
        func stop() {
            _ = StoreBenchmarks.shell(prefix + [pgCtl, "-D", "\(directory)/data", "-m", "fast", "-w", "stop"])
            _ = StoreBenchmarks.shell(["rm", "-rf", directory])
        }

        private static func freeLoopbackPort() throws -> Int {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard descriptor >= 0 else { throw BenchmarkError("socket failed") }
            defer { close(descriptor) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
            }
            guard bound else { throw BenchmarkError("no free loopback port") }
            return Int(UInt16(bigEndian: address.sin_port))
        }
    }

    /// `mallopt(M_TRIM_THRESHOLD, bytes)`, looked up at run time: Swift's Glibc module does
    /// not import `<malloc.h>`. True when glibc accepted it.
    static func setTrimThreshold(_ bytes: Int32) -> Bool {
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        // RTLD_DEFAULT is the null handle; M_TRIM_THRESHOLD is -1 in <malloc.h>.
        guard let symbol = dlsym(nil, "mallopt") else { return false }
        return unsafeBitCast(symbol, to: Mallopt.self)(-1, bytes) == 1
    }

    /// A new directory under /tmp (on disk here, so fsync is real); readable by the
    /// `postgres` user.
    static func makeDirectory(_ prefix: String) throws -> String {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw BenchmarkError("mkdtemp failed") }
        return String(cString: made)
    }

    /// Runs a command through `/bin/sh` to completion, its output discarded; returns its
    /// exit status.
    ///
    /// `system(3)`, not Foundation's `Process`: `pg_ctl start` leaves a daemon behind that
    /// inherits this process's descriptors, and `Process` waits for its internal pipe to
    /// close, which then happens only when the server stops. `system` waits for the shell
    /// alone.
    @discardableResult
    static func shell(_ arguments: [String]) -> Int32 {
        let quoted = arguments.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let status = system("exec \(quoted) </dev/null >/dev/null 2>&1")
        // The shell's exit status is in the high byte of the wait status.
        return status == -1 ? -1 : (status >> 8) & 0xFF
    }

    struct BenchmarkError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
