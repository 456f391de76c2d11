import Testing
import TroupeTesting
@testable import TroupeStore

/// PostgreSQL's transient conflicts, provoked for real and in a fixed order (gates the
/// transactions' threads wait at, no sleeps): the pool runs the whole transaction again
/// after its backoff, on the pool's clock, and it succeeds.
@Suite("PostgreSQL retries", .timeLimit(.minutes(1)))
struct PostgresRetryTests {
    @Test("a serialization failure (40001) runs the whole transaction again, which then commits")
    func serializationFailure() async throws {
        let options = try PoolOptions(minConnections: 0, maxConnections: 2)
        try await PoolFixture.with(.postgres, options: options) { fixture in
            let pool = fixture.pool
            try await pool.execute("CREATE TABLE counter (id BIGINT PRIMARY KEY, v BIGINT NOT NULL)")
            try await pool.execute("INSERT INTO counter (id, v) VALUES (1, 0)")
            // Open: it only counts the attempts that have read the row.
            let read = BlockingGate()
            read.open()
            let concurrentUpdateCommitted = BlockingGate()
            let attempts = Locked<[String?]>([])

            async let increment = pool.transaction { connection throws(DatabaseError) -> Int in
                do throws(DatabaseError) {
                    try connection.execute("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")
                    // The snapshot is taken here, by the transaction's first query.
                    let seen = try connection.queryFirst("SELECT v FROM counter WHERE id = 1")!.decode(Int.self, at: 0)
                    read.wait()
                    concurrentUpdateCommitted.wait()
                    try connection.execute("UPDATE counter SET v = $1 WHERE id = 1", [.integer(Int64(seen + 1))])
                    attempts.withLock { $0.append(nil) }
                    return seen
                } catch {
                    attempts.withLock { $0.append(error.code) }
                    throw error
                }
            }
            await read.arrivals(1)
            // Another transaction changes the row after the serializable one read it.
            try await pool.execute("UPDATE counter SET v = v + 10 WHERE id = 1")
            concurrentUpdateCommitted.open()

            try await fixture.metrics(when: "the transaction backing off") { $0.backingOff == 1 }
            fixture.clock.advance(by: .seconds(1))
            #expect(try await increment == 10, "the second attempt read the committed update")
            #expect(attempts.value == ["40001", nil])
            #expect(try await pool.query("SELECT v FROM counter WHERE id = 1", idempotent: true).first?.decode(Int.self, at: 0) == 11)
            let metrics = try await fixture.metrics(when: "everything counted") { $0.inUse == 0 && $0.succeeded == 5 }
            #expect(metrics.retries == 1)
            #expect(metrics.errors.total == 0, "the caller never saw the serialization failure")
        }
    }

    @Test("a deadlock (40P01) runs the victim's whole transaction again; both transfers commit")
    func deadlock() async throws {
        let options = try PoolOptions(minConnections: 0, maxConnections: 2)
        try await PoolFixture.with(.postgres, options: options) { fixture in
            let pool = fixture.pool
            try await pool.execute("CREATE TABLE accounts (id BIGINT PRIMARY KEY, balance BIGINT NOT NULL)")
            try await pool.execute("INSERT INTO accounts (id, balance) VALUES (1, 100), (2, 100)")
            let holdsOne = BlockingGate()
            let holdsTwo = BlockingGate()
            let attempts = Locked<[String?]>([])

            // Each locks its first row, waits until the other holds its own, then asks for
            // it: a cycle PostgreSQL breaks after deadlock_timeout (1 s) by failing one.
            async let oneToTwo: Void = Self.transfer(pool, from: 1, to: 2, holding: holdsOne, waitFor: holdsTwo, attempts: attempts)
            async let twoToOne: Void = Self.transfer(pool, from: 2, to: 1, holding: holdsTwo, waitFor: holdsOne, attempts: attempts)

            try await fixture.metrics(when: "the deadlock victim backing off") { $0.backingOff == 1 }
            fixture.clock.advance(by: .seconds(1))
            try await oneToTwo
            try await twoToOne
            let codes = attempts.value
            #expect(codes.count == 3, "two first attempts and one retry: \(codes)")
            #expect(codes.filter { $0 == "40P01" }.count == 1)
            #expect(codes.filter { $0 == nil }.count == 2)
            let balances = try await pool.query("SELECT balance FROM accounts ORDER BY id", idempotent: true).map { try $0.decode(Int.self, at: 0) }
            #expect(balances == [95, 105], "both transfers applied exactly once")
            let metrics = try await fixture.metrics(when: "everything counted") { $0.inUse == 0 && $0.succeeded == 5 }
            #expect(metrics.retries == 1)
            #expect(metrics.errors.total == 0, "neither caller saw the deadlock")
        }
    }

    /// Moves money between two rows in one pooled transaction; the first attempt holds
    /// `from`'s row lock, opens `holding` and waits at `waitFor` before touching `to`.
    private static func transfer(
        _ pool: DatabasePool, from: Int64, to: Int64, holding: BlockingGate, waitFor: BlockingGate, attempts: Locked<[String?]>
    ) async throws(DatabaseError) {
        // 1 → 2 moves 10, 2 → 1 moves 5: the final balances show each ran exactly once.
        let amount: Int64 = from == 1 ? 10 : 5
        try await pool.transaction { connection throws(DatabaseError) in
            do throws(DatabaseError) {
                try connection.execute("UPDATE accounts SET balance = balance - $1 WHERE id = $2", [.integer(amount), .integer(from)])
                holding.open()
                waitFor.wait()
                try connection.execute("UPDATE accounts SET balance = balance + $1 WHERE id = $2", [.integer(amount), .integer(to)])
                attempts.withLock { $0.append(nil) }
            } catch {
                attempts.withLock { $0.append(error.code) }
                throw error
            }
        }
    }
}
