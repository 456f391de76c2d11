import Testing
import TroupeTesting
@testable import TroupeStore

/// Blocking driver calls never run on Swift's cooperative pool: with every connection of
/// the pool stuck in the database, tasks on the cooperative pool still run on time.
///
/// The pool has 4 connections, more than the cooperative pool has threads (one per core).
/// Were the driver calls made on the cooperative pool, four blocked calls would leave no
/// thread for any task, and the timer task below could not run until the database let
/// them go (after the 10 s busy/statement timeout that bounds the test if that happens).
@Suite("Cooperative pool", .timeLimit(.minutes(1)))
struct CooperativePoolTests {
    private static let connections = 4

    @Test("every SQLite connection blocked on the write lock; a timer task fires on time")
    func sqliteBlockedConnections() async throws {
        let options = try PoolOptions(minConnections: 0, maxConnections: Self.connections)
        try await PoolFixture.with(.sqlite, options: options, busyTimeout: .seconds(10)) { fixture in
            let pool = fixture.pool
            try await pool.execute("CREATE TABLE t (v BIGINT)")
            let blocker = try fixture.database.connect()
            defer { blocker.close() }
            try blocker.begin()  // BEGIN IMMEDIATE: every other writer waits in SQLite's busy handler

            try await withStuckConnections(fixture) { entered in
                try await pool.withConnection { connection throws(DatabaseError) in
                    entered.wait()
                    try connection.execute("INSERT INTO t (v) VALUES ($1)", [1])
                }
            } whileStuck: {
                let inUse = try await pool.metrics().inUse
                #expect(inUse == Self.connections)
            } release: {
                try blocker.commit()
            }
            #expect(try await pool.query("SELECT COUNT(*) FROM t", idempotent: true)[0].decode(Int.self, at: 0) == Self.connections)
        }
    }

    @Test("every PostgreSQL connection blocked on a lock; a timer task fires on time")
    func postgresBlockedConnections() async throws {
        try await TestDatabase.with(.postgres) { database in
            guard case .postgres(var configuration) = database.configuration else { return }
            // Bounds the test if the calls did block the cooperative pool.
            configuration.statementTimeout = .seconds(10)
            let bounded = TestDatabase(kind: .postgres, configuration: .postgres(configuration))
            let options = try PoolOptions(minConnections: 0, maxConnections: Self.connections)
            try await PoolFixture.with(bounded, options: options) { fixture in
                let pool = fixture.pool
                let key = Int64.random(in: 1...Int64(Int32.max))
                let blocker = try bounded.connect()
                defer { blocker.close() }
                _ = try blocker.query("SELECT pg_advisory_lock($1)", [.integer(key)])

                try await withStuckConnections(fixture) { entered in
                    try await pool.transaction { connection throws(DatabaseError) in
                        entered.wait()
                        _ = try connection.query("SELECT pg_advisory_xact_lock($1)", [.integer(key)])
                    }
                } whileStuck: {
                    // The server confirms: four sessions wait for the lock.
                    let waiting = try await poll("four sessions waiting for the lock", {
                        try blocker.queryFirst(
                        "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = 0 AND objid = $1::bigint::oid",
                            [.integer(key)]
                        )?.decode(Int.self, at: 0)
                    }, until: { $0 == Self.connections })
                    #expect(waiting == Self.connections)
                } release: {
                    _ = try blocker.query("SELECT pg_advisory_unlock($1)", [.integer(key)])
                }
            }
        }
    }

    /// Starts one `stuck` job per connection, waits until each has entered, checks that a
    /// task on the cooperative pool sleeps 20 ms and wakes on time while all of them are
    /// still blocked (and `whileStuck` holds), then runs `release` and waits for the jobs.
    private func withStuckConnections(
        _ fixture: PoolFixture,
        stuck: @escaping @Sendable (BlockingGate) async throws -> Void,
        whileStuck: () async throws -> Void,
        release: () throws -> Void
    ) async throws {
        // Already open: it only counts the jobs that reached their blocking statement.
        let entered = BlockingGate()
        entered.open()
        let finished = Locked(0)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<Self.connections {
                group.addTask {
                    try await stuck(entered)
                    finished.withLock { $0 += 1 }
                }
            }
            await entered.arrivals(Self.connections)
            try await fixture.metrics(when: "every connection busy") { $0.inUse == Self.connections && $0.idle == 0 }
            try await whileStuck()

            // The timer task: child tasks on the cooperative pool, more than it has threads.
            let started = ContinuousClock.now
            try await withThrowingTaskGroup(of: Duration.self) { timers in
                for _ in 0..<4 {
                    timers.addTask {
                        let before = ContinuousClock.now
                        try await Task.sleep(for: .milliseconds(20))
                        return ContinuousClock.now - before
                    }
                }
                for try await slept in timers {
                    #expect(slept < .seconds(2), "a 20 ms timer took \(slept)")
                }
            }
            #expect(ContinuousClock.now - started < .seconds(2))
            #expect(finished.value == 0, "the connections were still blocked while the timers ran")
            try await whileStuck()

            try release()
            try await group.waitForAll()
        }
        #expect(finished.value == Self.connections)
    }
}
