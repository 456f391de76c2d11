import TroupeTestSupport
import Synchronization
import Testing
import TroupeTesting
@testable import TroupeStore

/// The pool actor on both drivers, on real databases: its work, its bounds at the edge,
/// retries, the breaker, its place in a supervision tree.
@Suite("Connection pool", .timeLimit(.minutes(1)))
struct PoolTests {
    @Test("statements, queries and transactions run through the pool", arguments: DriverKind.allCases)
    func basicWork(_ kind: DriverKind) async throws {
        try await PoolFixture.with(kind, migrate: true) { fixture in
            let pool = fixture.pool
            let id = try await pool.transaction { connection throws(DatabaseError) in
                try connection.queryFirst(
                    "INSERT INTO users (name, password_hash, is_admin, created_at) VALUES ($1, $2, $3, $4) RETURNING id", ["alice", "h", false, 1]
                )!.decode(Int64.self, at: 0)
            }
            let rows = try await pool.query("SELECT id, name FROM users WHERE name = $1", ["alice"], idempotent: true)
            #expect(try rows.first?.decode(Int64.self, at: 0) == id)
            #expect(try await pool.execute("UPDATE users SET is_admin = $1 WHERE id = $2", [true, .integer(id)], idempotent: true) == 1)
            let health = await pool.checkHealth()
            #expect(health.isHealthy)
            #expect(health.metrics.succeeded >= 1, "the health probe is counted before it reports")
            // Migration, transaction, query, update, health probe.
            let metrics = try await fixture.metrics(when: "all five counted") { $0.succeeded == 5 && $0.inUse == 0 }
            #expect(metrics.errors.total == 0)
            #expect(metrics.inUse == 0)
            // The warm-up connection, plus one more if the first request arrived while it opened.
            #expect((1...2).contains(metrics.connections))
            #expect(metrics.idle == metrics.connections)
            #expect(metrics.breaker.phase == .closed)
        }
    }

    @Test("50 concurrent inserts of one (node, level): one row, 49 typed unique violations", arguments: DriverKind.allCases)
    func uniqueRace(_ kind: DriverKind) async throws {
        let options = try PoolOptions(minConnections: 8, maxConnections: 8)
        try await PoolFixture.with(kind, options: options, migrate: true) { fixture in
            let pool = fixture.pool
            try await pool.transaction { connection throws(DatabaseError) in
                try connection.execute("INSERT INTO progression_nodes (id, title, sort_order) VALUES ($1, $2, $3)", ["forge", "Forge", 1])
                try connection.execute("INSERT INTO progression_levels (node_id, level, cost) VALUES ($1, $2, $3)", ["forge", 1, 100])
            }
            let outcomes = await withTaskGroup(of: Result<Int, DatabaseError>.self) { group in
                for attempt in 0..<50 {
                    group.addTask {
                        do throws(DatabaseError) {
                            return .success(
                                try await pool.execute(
                                    "INSERT INTO progression_unlocks (node_id, level, unlocked_at) VALUES ($1, $2, $3)", ["forge", 1, .integer(Int64(attempt))]
                                )
                            )
                        } catch {
                            return .failure(error)
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let inserted = outcomes.compactMap { try? $0.get() }
            let refused = outcomes.compactMap { outcome -> DatabaseError? in
                if case .failure(let error) = outcome { return error }
                return nil
            }
            #expect(inserted == [1])
            #expect(refused.count == 49)
            #expect(refused.allSatisfy { $0.kind == .uniqueViolation(constraint: "progression_unlocks_node_id_level_key") })
            let count = try await pool.query("SELECT COUNT(*) FROM progression_unlocks", idempotent: true)
            #expect(try count.first?.decode(Int.self, at: 0) == 1)
            let metrics = try await fixture.metrics(when: "every insert counted") { $0.succeeded + $0.errors.total >= 50 + 3 && $0.inUse == 0 }
            #expect(metrics.errors.uniqueViolation == 49)
            #expect(metrics.retries == 0, "a unique violation is never retried")
        }
    }

    @Test("one request more than maxWaiters fails at once as overloaded (not a timeout, not retried, not a breaker failure); the others are served", arguments: DriverKind.allCases)
    func waitQueueBoundAtTheEdge(_ kind: DriverKind) async throws {
        let options = try PoolOptions(minConnections: 0, maxConnections: 1, maxWaiters: 2)
        try await PoolFixture.with(kind, options: options) { fixture in
            let pool = fixture.pool
            let gate = BlockingGate()
            async let holder: Void = pool.withConnection { _ in gate.wait() }
            await gate.arrivals(1)
            async let first = pool.query("SELECT 1", idempotent: true)
            async let second = pool.query("SELECT 2", idempotent: true)
            try await fixture.metrics(when: "two waiting") { $0.waiting == 2 }
            let refused = await #expect(throws: DatabaseError.self) { try await pool.query("SELECT 3") }
            #expect(refused?.kind == .overloaded)
            #expect(refused?.isRetryable == false)
            #expect(refused?.reason.contains("2 requests are already waiting") == true)
            gate.open()
            try await holder
            #expect(try await first.first?.decode(Int.self, at: 0) == 1)
            #expect(try await second.first?.decode(Int.self, at: 0) == 2)
            let metrics = try await pool.metrics()
            #expect(metrics.queueFull == 1)
            #expect(metrics.errors.overloaded == 1)
            #expect(metrics.errors.timeout == 0)
            #expect(metrics.retries == 0)
            #expect(metrics.breaker.failures == 0)
            #expect(metrics.breaker.consecutiveFailures == 0)
            #expect(metrics.peakWaiting == 2)
        }
    }

    @Test("a caller cancelled while waiting gets a timeout at once, and its request never runs", arguments: [DriverKind.sqlite])
    func cancelledWhileWaiting(_ kind: DriverKind) async throws {
        let options = try PoolOptions(minConnections: 0, maxConnections: 1)
        try await PoolFixture.with(kind, options: options) { fixture in
            let pool = fixture.pool
            let gate = BlockingGate()
            let ran = Locked(false)
            async let holder: Void = pool.withConnection { _ in gate.wait() }
            await gate.arrivals(1)
            let waiter = Task {
                try await pool.withConnection { _ in ran.withLock { $0 = true } }
            }
            try await fixture.metrics(when: "one waiting") { $0.waiting == 1 }
            waiter.cancel()
            let cancelled = await #expect(throws: DatabaseError.self) { try await waiter.value }
            #expect(cancelled?.kind == .timeout)
            gate.open()
            try await holder
            try await pool.execute("SELECT 1")  // the queue has moved past the abandoned request
            #expect(!ran.value)
            let metrics = try await fixture.metrics(when: "idle") { $0.inUse == 0 && $0.waiting == 0 }
            #expect(metrics.idle == 1)
        }
    }

    // MARK: - Retries

    /// Retries after 100 ms (no jitter), at most 3 attempts.
    private static let retryOptions = try! PoolOptions(
        minConnections: 0, maxConnections: 1,
        retry: RetryPolicy(maxAttempts: 3, backoff: Backoff(initial: .milliseconds(100), maximum: .seconds(1), jitter: 0))
    )

    /// Runs `body` with a pool (``retryOptions``, a 10 ms busy timeout) on a SQLite database
    /// with a table made by `create`, while another connection holds the write lock (BEGIN
    /// IMMEDIATE), so that every write through the pool fails SQLITE_BUSY until `body`
    /// commits or rolls back the blocker.
    private func withWriteLockHeld(
        _ create: String,
        _ body: (PoolFixture, any DatabaseConnection) async throws -> Void
    ) async throws {
        try await PoolFixture.with(.sqlite, options: Self.retryOptions, busyTimeout: .milliseconds(10)) { fixture in
            try await fixture.pool.execute(create)
            let blocker = try fixture.database.connect()
            defer { blocker.close() }
            try blocker.begin()
            try await body(fixture, blocker)
        }
    }

    @Test("SQLITE_BUSY on an idempotent statement is retried after the backoff, on the pool's clock")
    func busyIdempotentStatementIsRetried() async throws {
        try await withWriteLockHeld("CREATE TABLE t (k BIGINT PRIMARY KEY, v BIGINT)") { fixture, blocker in
            let pool = fixture.pool

            async let upserted = pool.execute(
                "INSERT INTO t (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = excluded.v", [1, 10], idempotent: true
            )
            // The first attempt fails SQLITE_BUSY after 10 ms and waits out its backoff.
            try await fixture.metrics(when: "a retry backing off") { $0.backingOff == 1 }
            try blocker.commit()
            fixture.clock.advance(by: .milliseconds(99))
            #expect(try await pool.metrics().backingOff == 1, "not before the backoff is over")
            fixture.clock.advance(by: .milliseconds(1))
            #expect(try await upserted == 1)
            let metrics = try await pool.metrics()
            #expect(metrics.retries == 1)
            #expect(metrics.errors.total == 0)
        }
    }

    @Test("a whole transaction is retried; a statement not marked idempotent is not")
    func onlySafeWorkIsRetried() async throws {
        try await withWriteLockHeld("CREATE TABLE t (v BIGINT)") { fixture, blocker in
            let pool = fixture.pool

            let notIdempotent = await #expect(throws: DatabaseError.self) { try await pool.execute("INSERT INTO t (v) VALUES ($1)", [1]) }
            #expect(notIdempotent?.kind == .transient)
            #expect(try await pool.metrics().retries == 0)

            async let transaction = pool.transaction { connection throws(DatabaseError) in
                try connection.execute("INSERT INTO t (v) VALUES ($1)", [2])
                return try connection.queryFirst("SELECT COUNT(*) FROM t")!.decode(Int.self, at: 0)
            }
            try await fixture.metrics(when: "the transaction backing off") { $0.backingOff == 1 }
            try blocker.commit()
            fixture.clock.advance(by: .milliseconds(100))
            #expect(try await transaction == 1)
            let metrics = try await fixture.metrics(when: "everything counted") { $0.inUse == 0 && $0.succeeded == 2 }
            #expect(metrics.retries == 1)
            #expect(metrics.errors.transient == 1)  // only the unmarked insert
        }
    }

    @Test("retries stop at the request's deadline and at maxAttempts; the caller gets the transient error")
    func retriesAreBounded() async throws {
        try await withWriteLockHeld("CREATE TABLE t (v BIGINT)") { fixture, blocker in
            let pool = fixture.pool

            // A 50 ms deadline leaves no room for a 100 ms backoff.
            let pastDeadline = await #expect(throws: DatabaseError.self) {
                try await pool.execute("DELETE FROM t", idempotent: true, timeout: .milliseconds(50))
            }
            #expect(pastDeadline?.kind == .transient)
            #expect(try await pool.metrics().retries == 0)

            // Three attempts (100 ms, then 200 ms apart), then the caller gets the error.
            async let exhausted = outcome { () throws(DatabaseError) in try await pool.execute("DELETE FROM t", idempotent: true) }
            try await fixture.metrics(when: "first backoff") { $0.backingOff == 1 && $0.retries == 1 }
            fixture.clock.advance(by: .milliseconds(100))
            try await fixture.metrics(when: "second backoff") { $0.backingOff == 1 && $0.retries == 2 }
            fixture.clock.advance(by: .milliseconds(200))
            let error = await exhausted.failure
            #expect(error?.kind == .transient)
            #expect(try await pool.metrics().retries == 2)
            try blocker.rollback()
        }
    }

    @Test("a lost PostgreSQL connection is re-established and an idempotent query retried")
    func lostConnectionIsRetried() async throws {
        try await PoolFixture.with(.postgres, options: Self.retryOptions) { fixture in
            let pool = fixture.pool
            let before = try await pool.query("SELECT pg_backend_pid()", idempotent: true)[0].decode(Int64.self, at: 0)
            let admin = try fixture.database.connect()
            defer { admin.close() }
            #expect(try admin.queryFirst("SELECT pg_terminate_backend($1::integer, 5000)", [.integer(before)])?.decode(Bool.self, at: 0) == true)

            async let after = pool.query("SELECT pg_backend_pid()", idempotent: true)
            try await fixture.metrics(when: "a retry backing off") { $0.backingOff == 1 }
            fixture.clock.advance(by: .milliseconds(100))
            #expect(try await after[0].decode(Int64.self, at: 0) != before)
            let metrics = try await pool.metrics()
            #expect(metrics.retries == 1)
            #expect(metrics.errors.total == 0)
            #expect(metrics.breaker.phase == .closed, "a connection that came back is no outage")
        }
    }

    // MARK: - Breaker

    @Test("unavailable opens the breaker, which fails fast; a successful probe closes it without restarting the pool")
    func breakerOnSQLite() async throws {
        try await TestDatabase.with(.sqlite) { database in
            // A database in a directory that does not exist yet: every open fails (CANTOPEN).
            guard case .sqlite(let original) = database.configuration else { return }
            let directory = String(original.path.dropLast("/test.sqlite".count)) + "/later"
            let unreachable = TestDatabase(kind: .sqlite, configuration: .sqlite(SQLiteConfiguration(path: directory + "/db.sqlite")))
            let options = try PoolOptions(
                minConnections: 0, maxConnections: 2,
                breaker: CircuitBreakerConfiguration(failureThreshold: 3, openDuration: .seconds(1), probeTimeout: .seconds(5))
            )
            try await PoolFixture.with(unreachable, options: options) { fixture in
                let pool = fixture.pool
                for _ in 0..<3 {
                    let failure = await #expect(throws: DatabaseError.self) { try await pool.query("SELECT 1", idempotent: true) }
                    #expect(failure?.kind == .unavailable)
                    #expect(failure?.reason.contains("cannot open") == true)
                }
                // Callers hear of a failure a moment before the pool counts it.
                var metrics = try await fixture.metrics(when: "the breaker open") { $0.breaker.phase == .open }
                #expect(metrics.breaker.opened == 1)

                // Open: fails at once, without touching a connection.
                let fast = await #expect(throws: DatabaseError.self) { try await pool.query("SELECT 1", idempotent: true) }
                #expect(fast?.kind == .unavailable)
                #expect(fast?.reason.contains("circuit breaker") == true)
                #expect(fast?.remedy.contains("in 1.0 seconds") == true)
                let health = await pool.checkHealth()
                #expect(!health.isHealthy)
                #expect(health.metrics.breakerRejected == 2)

                // The database becomes reachable; after the open duration a probe goes through.
                #expect(try ChildProcess.run(["mkdir", "-p", directory]) == 0)
                fixture.clock.advance(by: .seconds(1))
                #expect(try await pool.query("SELECT 1", idempotent: true)[0].decode(Int.self, at: 0) == 1)
                for value in 2...5 {
                    #expect(try await pool.query("SELECT $1", [.integer(Int64(value))], idempotent: true)[0].decode(Int.self, at: 0) == value)
                }
                metrics = try await pool.metrics()
                #expect(metrics.breaker.phase == .closed)
                #expect(metrics.breaker.closed == 1)
                #expect(fixture.system.metrics(at: ActorPath("/root/db")!)?.restarts == 0)
            }
        }
    }

    // MARK: - Idle connections

    @Test("connections above the minimum close after the idle timeout; the minimum stays open")
    func idleConnectionsClose() async throws {
        let options = try PoolOptions(minConnections: 1, maxConnections: 3, idleTimeout: .seconds(30))
        try await PoolFixture.with(.sqlite, options: options) { fixture in
            let pool = fixture.pool
            let gate = BlockingGate()
            async let a: Void = pool.withConnection { _ in gate.wait() }
            async let b: Void = pool.withConnection { _ in gate.wait() }
            async let c: Void = pool.withConnection { _ in gate.wait() }
            await gate.arrivals(3)
            gate.open()
            _ = try await (a, b, c)
            try await fixture.metrics(when: "3 idle") { $0.idle == 3 && $0.connections == 3 }
            fixture.clock.advance(by: .seconds(29))
            #expect(try await pool.metrics().connections == 3)
            fixture.clock.advance(by: .seconds(1))
            let metrics = try await fixture.metrics(when: "back to the minimum") { $0.connections == 1 }
            #expect(metrics.idle == 1)
            #expect(try await pool.query("SELECT 7", idempotent: true)[0].decode(Int.self, at: 0) == 7)
        }
    }

    // MARK: - Supervision

    @Test("a pool actor that fails is restarted by its supervisor; the façade keeps working", arguments: DriverKind.allCases)
    func restartUnderSupervisor(_ kind: DriverKind) async throws {
        try await TestDatabase.with(kind) { database in
            let clock = ManualClock()
            let system = ActorSystem(name: "store", configuration: try .init(clock: clock))
            let pool = DatabasePool(configuration: database.configuration)
            let storage = try SupervisorSpec(strategy: .restForOne, children: [pool.childSpec("db")])
            try await system.start(.supervisor("storage", storage))
            #expect(try await pool.query("SELECT 1", idempotent: true)[0].decode(Int.self, at: 0) == 1)
            // The caller has its rows before the pool hears the job's report (it comes on the
            // pool's system lane, where the injected fault would count it as the message to
            // fail on): wait until every report is in.
            try await pollUntil("the pool counted SELECT 1") {
                let metrics = try await pool.metrics()
                return metrics.succeeded == 1 && metrics.inUse == 0
            }

            let path = ActorPath("/root/storage/db")!
            #expect(system.injectFault(at: path, onMessage: 1))
            // The message the fault hits is lost with the failed incarnation: its caller is told.
            let lost = await #expect(throws: DatabaseError.self) { try await pool.query("SELECT 2", idempotent: true) }
            #expect(lost?.kind == .unavailable)
            #expect(lost?.reason.contains("lost") == true)
            #expect(try await pool.query("SELECT 3", idempotent: true)[0].decode(Int.self, at: 0) == 3)
            #expect(system.metrics(at: path)?.restarts == 1)
            let report = await system.shutdown()
            #expect(report.completed)
        }
    }

    @Test("invalid options are configuration errors")
    func invalidOptions() {
        #expect(throws: ConfigurationError.self) { try PoolOptions(maxConnections: 0) }
        #expect(throws: ConfigurationError.self) { try PoolOptions(maxWaiters: 0) }
        #expect(throws: ConfigurationError.self) { try PoolOptions(minConnections: 9, maxConnections: 8) }
        #expect(throws: ConfigurationError.self) { try PoolOptions(minConnections: -1) }
        #expect(throws: ConfigurationError.self) { try PoolOptions(defaultTimeout: .zero) }
        #expect(throws: ConfigurationError.self) { try PoolOptions(idleTimeout: .seconds(-1)) }
        #expect(throws: ConfigurationError.self) { try RetryPolicy(maxAttempts: 0, backoff: Backoff(initial: .seconds(1), maximum: .seconds(1))) }
        #expect(throws: ConfigurationError.self) { try WriterOptions(maxPending: 0) }
        #expect(throws: ConfigurationError.self) { try WriterOptions(maxGroupSize: 0) }
        #expect(throws: ConfigurationError.self) { try WriterOptions(timeout: .zero) }
    }

    @Test("backoff doubles up to its maximum, less at most its jitter fraction")
    func backoffDelays() throws {
        let policy = try RetryPolicy(maxAttempts: 10, backoff: Backoff(initial: .milliseconds(10), maximum: .milliseconds(50), jitter: 0.5))
        var random = SplitMix64(seed: 7)
        let steps: [Duration] = [.milliseconds(10), .milliseconds(20), .milliseconds(40), .milliseconds(50), .milliseconds(50)]
        for (retry, step) in steps.enumerated() {
            let delay = policy.delay(beforeRetry: retry, random: &random)
            #expect(delay <= step && delay >= step / 2, "retry \(retry): \(delay) outside [\(step / 2), \(step)]")
        }
        var none = SplitMix64(seed: 7)
        #expect(RetryPolicy.never.maxAttempts == 1)
        #expect(try RetryPolicy(maxAttempts: 2, backoff: Backoff(initial: .seconds(1), maximum: .seconds(1), jitter: 0)).delay(beforeRetry: 0, random: &none) == .seconds(1))
    }
}
