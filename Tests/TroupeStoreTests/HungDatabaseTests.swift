import Testing
import TroupeTesting
@testable import TroupeStore

/// A hung database — it accepts connections but never finishes the work — opens the
/// breaker, not only a refused connection: statements that run into their timeout count as
/// failures.
@Suite("Hung database", .timeLimit(.minutes(1)))
struct HungDatabaseTests {
    @Test("PostgreSQL: statements that hit statement_timeout open the breaker; later requests fail fast")
    func statementTimeoutsOpenTheBreaker() async throws {
        try await TestDatabase.with(.postgres) { database in
            guard case .postgres(var configuration) = database.configuration else { return }
            // The server ends each hung statement after 100 ms (57014).
            configuration.statementTimeout = .milliseconds(100)
            let bounded = TestDatabase(kind: .postgres, configuration: .postgres(configuration))
            let threshold = 3
            let options = try PoolOptions(
                minConnections: 0, maxConnections: threshold,
                breaker: CircuitBreakerConfiguration(failureThreshold: threshold, openDuration: .seconds(5), probeTimeout: .seconds(5))
            )
            try await PoolFixture.with(bounded, options: options) { fixture in
                let pool = fixture.pool
                // The "hang": a lock nobody releases while the test runs.
                let key = Int64.random(in: 1...Int64(Int32.max))
                let blocker = try bounded.connect()
                defer { blocker.close() }
                _ = try blocker.query("SELECT pg_advisory_lock($1)", [.integer(key)])

                let hung = await withTaskGroup(of: Result<Void, DatabaseError>.self) { group in
                    for _ in 0..<threshold {
                        group.addTask {
                            await outcome { () async throws(DatabaseError) in
                                _ = try await pool.query("SELECT pg_advisory_lock($1)", [.integer(key)])
                            }
                        }
                    }
                    return await group.reduce(into: []) { $0.append($1) }
                }
                #expect(hung.allSatisfy { $0.failure?.kind == .timeout && $0.failure?.code == "57014" }, "\(hung)")

                let metrics = try await fixture.metrics(when: "the breaker open") { $0.breaker.phase == .open }
                #expect(metrics.breaker.opened == 1)
                // Fails at once instead of hanging for another statement timeout.
                let fast = await outcome { () async throws(DatabaseError) in
                    _ = try await pool.query("SELECT pg_advisory_lock($1)", [.integer(key)])
                }
                #expect(fast.failure?.kind == .unavailable)
                #expect(fast.failure?.reason.contains("circuit breaker") == true)
                #expect(fast.failure?.reason.contains("statement timeout") == true, "names the last failure: \(String(describing: fast.failure))")
                #expect(try await pool.metrics().breakerRejected == 1)
            }
        }
    }
}
