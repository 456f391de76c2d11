import TroupeTestSupport
import Testing
import TroupeTesting
@testable import TroupeStore

/// PostgreSQL goes away and comes back while the pool runs. The test has a server of its
/// own (stopped and started here), so the other tests' server is never touched.
@Suite("PostgreSQL outage", .timeLimit(.minutes(2)))
struct PostgresOutageTests {
    @Test("stopped mid-test: requests fail fast with unavailable, the breaker opens; started again: traffic resumes without restarting the pool")
    func outageAndRecovery() async throws {
        let server = try PostgresTestServer.dedicated()
        defer { server.shutDown() }
        let options = try PoolOptions(
            minConnections: 2, maxConnections: 2,
            breaker: CircuitBreakerConfiguration(failureThreshold: 3, openDuration: .seconds(1), probeTimeout: .seconds(5))
        )
        try await TestDatabase.with(.postgres, postgresURL: server.url) { database in
            try await PoolFixture.with(database, options: options, migrate: true) { fixture in
                let pool = fixture.pool
                let writer = GroupCommitWriter(pool: pool)
                try await fixture.system.start(writer, name: "writer")
                let addUser = "INSERT INTO users (name, password_hash, is_admin, created_at) VALUES ($1, $2, $3, $4) RETURNING id"
                _ = try await writer.insert(addUser, ["before", "h", false, 0])
                for value in 1...5 {
                    #expect(try await pool.query("SELECT $1", [.integer(Int64(value))], idempotent: true)[0].decode(Int.self, at: 0) == value)
                }

                // The outage: a burst of 30 requests on 2 connections. The first failures
                // open the breaker, which fails everything still waiting at once.
                try server.stopPostgres()
                let started = ContinuousClock.now
                let burst = await withTaskGroup(of: DatabaseError?.self) { group in
                    for value in 0..<30 {
                        group.addTask {
                            await outcome { () throws(DatabaseError) in
                                try await pool.query("SELECT $1", [.integer(Int64(value))], idempotent: true)
                            }.failure
                        }
                    }
                    return await group.reduce(into: [DatabaseError?]()) { $0.append($1) }
                }
                #expect(burst.count == 30)
                #expect(burst.allSatisfy { $0?.kind == .unavailable }, "every request fails, as unavailable: \(burst)")
                var metrics = try await pool.metrics()
                #expect(metrics.breaker.phase == .open)
                #expect(metrics.breaker.opened == 1)
                #expect(metrics.breakerRejected >= 27 - 2, "at most the threshold plus the other connection's attempt reach the database")

                // While open, requests and writes fail at once without touching a connection.
                for _ in 0..<20 {
                    let fast = await #expect(throws: DatabaseError.self) { try await pool.query("SELECT 1", idempotent: true) }
                    #expect(fast?.kind == .unavailable)
                    #expect(fast?.reason.contains("circuit breaker") == true)
                }
                let write = await #expect(throws: DatabaseError.self) { try await writer.insert(addUser, ["during", "h", false, 0]) }
                #expect(write?.kind == .unavailable)
                #expect(ContinuousClock.now - started < .seconds(5), "failing fast, not waiting for deadlines")
                let health = await pool.checkHealth()
                #expect(!health.isHealthy)

                // The database comes back. After the open duration the next request probes;
                // its success closes the breaker and traffic resumes on the same pool.
                try server.startPostgres()
                fixture.clock.advance(by: .seconds(1))
                #expect(try await pool.query("SELECT 42", idempotent: true)[0].decode(Int.self, at: 0) == 42)
                for value in 1...10 {
                    #expect(try await pool.query("SELECT $1", [.integer(Int64(value))], idempotent: true)[0].decode(Int.self, at: 0) == value)
                }
                _ = try await writer.insert(addUser, ["after", "h", false, 0])
                let names = try await pool.query("SELECT name FROM users ORDER BY id", idempotent: true).map { try $0.decode(String.self, at: 0) }
                #expect(names == ["before", "after"])
                metrics = try await pool.metrics()
                #expect(metrics.breaker.phase == .closed)
                #expect(metrics.breaker.closed == 1)
                #expect(metrics.connections == 2)
                #expect(fixture.system.metrics(at: ActorPath("/root/db")!)?.restarts == 0, "the pool itself never restarted")
            }
        }
    }
}
