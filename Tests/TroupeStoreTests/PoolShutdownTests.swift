import Glibc
import Testing
import TroupeTesting
@testable import TroupeStore

/// Stopping the pool is bounded: a statement running on a connection is interrupted
/// (`sqlite3_interrupt` / `PQcancel`) instead of being waited for, and every connection is
/// closed once the pool has stopped.
///
/// Each slow statement below would run for minutes: were it waited for, stopping would
/// outlast the suite's time limit.
@Suite("Pool shutdown", .timeLimit(.minutes(1)))
struct PoolShutdownTests {
    /// Counts to a billion: minutes of work for SQLite.
    private static let slowSQLite = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000) SELECT COUNT(*) FROM c"

    @Test("SQLite: a slow query is interrupted when the pool stops; every connection is closed")
    func sqliteSlowQueryInterrupted() async throws {
        let options = try PoolOptions(minConnections: 2, maxConnections: 2)
        try await PoolFixture.with(.sqlite, options: options) { fixture in
            guard case .sqlite(let configuration) = fixture.database.configuration else { return }
            try await fixture.pool.execute("CREATE TABLE t (v BIGINT)")
            let walFile = configuration.path + "-wal"
            #expect(access(walFile, F_OK) == 0, "the pool's open connections keep a WAL file")
            // Already open: it only tells the test that the job is about to run its query.
            let entered = BlockingGate()
            entered.open()
            async let slow = outcome { () async throws(DatabaseError) -> [Row] in
                try await fixture.pool.withConnection { connection throws(DatabaseError) in
                    entered.wait()
                    return try connection.query(Self.slowSQLite)
                }
            }
            await entered.arrivals(1)

            let started = ContinuousClock.now
            #expect(await fixture.system.stop(childNamed: "db"))
            let took = ContinuousClock.now - started
            let result = await slow
            #expect(result.failure?.kind == .unavailable)
            #expect(result.failure?.reason.contains("interrupted because its pool is stopping") == true, "\(String(describing: result.failure))")
            #expect(took < .seconds(10), "stopping took \(took)")
            // SQLite deletes a WAL file when the last connection to its database closes: none
            // of the pool's connections (the busy one and the idle one) is open any more.
            #expect(access(walFile, F_OK) != 0, "a connection of the stopped pool is still open")
        }
    }

    @Test("PostgreSQL: a slow query is cancelled when the pool stops; the server shows none of the pool's sessions")
    func postgresSlowQueryCancelled() async throws {
        try await TestDatabase.with(.postgres) { database in
            guard case .postgres(var configuration) = database.configuration else { return }
            let name = "troupe-stop-\(UInt32.random(in: 0...UInt32.max))"
            configuration.applicationName = name
            // Far beyond the suite's time limit: only the cancel can end the query in time.
            configuration.statementTimeout = .seconds(600)
            let named = TestDatabase(kind: .postgres, configuration: .postgres(configuration))
            let observer = try database.connect()
            defer { observer.close() }
            let options = try PoolOptions(minConnections: 2, maxConnections: 2)
            try await PoolFixture.with(named, options: options) { fixture in
                async let slow = outcome { () async throws(DatabaseError) -> [Row] in
                    try await fixture.pool.query("SELECT pg_sleep(600)")
                }
                try await poll("the slow query running on the server", { try Self.sessions(observer, name, runningSleep: true) }, until: { $0 == 1 })
                try await poll("both pool sessions open", { try Self.sessions(observer, name) }, until: { $0 == 2 })

                let started = ContinuousClock.now
                #expect(await fixture.system.stop(childNamed: "db"))
                let took = ContinuousClock.now - started
                let result = await slow
                #expect(result.failure?.kind == .unavailable)
                #expect(result.failure?.code == "57014", "the server cancelled it: \(String(describing: result.failure))")
                #expect(took < .seconds(10), "stopping took \(took)")
                // The pool closed its sessions (PQfinish); each server process exits a moment later.
                try await poll("no session of the stopped pool on the server", { try Self.sessions(observer, name) }, until: { $0 == 0 })
            }
        }
    }

    /// The server's sessions named `name` (only those running `pg_sleep` with `runningSleep`).
    private static func sessions(_ observer: any DatabaseConnection, _ name: String, runningSleep: Bool = false) throws -> Int {
        let sql = runningSleep
            ? "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = $1 AND state = 'active' AND query LIKE 'SELECT pg_sleep%'"
            : "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = $1"
        return try observer.queryFirst(sql, [.text(name)])?.decode(Int.self, at: 0) ?? -1
    }
}
