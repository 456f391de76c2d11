import TroupeTestSupport
import Synchronization
import Testing
import TroupeStore
import TroupeTesting

/// A pool on a fresh database, in an actor system of its own whose clock only moves when the
/// test says so. Shut down and removed afterwards, whatever the test does.
struct PoolFixture: Sendable {
    let database: TestDatabase
    let system: ActorSystem
    let clock: ManualClock
    let pool: DatabasePool

    /// Runs `body` with a started pool on a fresh database of `kind`, migrated to the
    /// backend's schema when `migrate` is set.
    static func with(
        _ kind: DriverKind,
        options: PoolOptions = PoolOptions(),
        busyTimeout: Duration = .seconds(5),
        migrate: Bool = false,
        postgresURL: String? = nil,
        _ body: (PoolFixture) async throws -> Void
    ) async throws {
        try await TestDatabase.with(kind, busyTimeout: busyTimeout, postgresURL: postgresURL) { database in
            try await with(database, options: options, migrate: migrate, body)
        }
    }

    /// Runs `body` with a started pool on `database`.
    static func with(
        _ database: TestDatabase,
        options: PoolOptions = PoolOptions(),
        migrate: Bool = false,
        _ body: (PoolFixture) async throws -> Void
    ) async throws {
        let clock = ManualClock()
        let system = ActorSystem(name: "store", configuration: try .init(clock: clock, randomSeed: 42))
        let pool = DatabasePool(configuration: database.configuration, options: options)
        let fixture = PoolFixture(database: database, system: system, clock: clock, pool: pool)
        do {
            try await system.start(pool.childSpec("db"))
            if migrate {
                try await pool.withConnection { connection throws(DatabaseError) in
                    _ = try Migrator.backend.migrate(connection)
                }
            }
            try await body(fixture)
        } catch {
            await system.shutdown()
            throw error
        }
        await system.shutdown()
    }

    /// The pool's counters once `condition` holds for them.
    @discardableResult
    func metrics(when description: String, _ condition: @escaping @Sendable (PoolMetrics) -> Bool) async throws -> PoolMetrics {
        try await poll(description, { try await pool.metrics() }, until: condition)
    }
}

/// Reads `read` until `condition` holds for what it returns, yielding in between; fails
/// after the test kit's real-time bound. For counters, which no event announces.
@discardableResult
func poll<Value>(
    _ description: String,
    _ read: () async throws -> Value,
    until condition: (Value) -> Bool
) async throws -> Value {
    let deadline = ContinuousClock.now.advanced(by: TestDefaults.timeout)
    while true {
        let value = try await read()
        if condition(value) { return value }
        if ContinuousClock.now >= deadline {
            throw HarnessError("timed out waiting for \(description); last seen: \(value)")
        }
        await Task.yield()
    }
}

/// Counts how many bodies run at once, and the most ever.
final class ConcurrencyGauge: Sendable {
    private let current = Atomic<Int>(0)
    private let peak = Atomic<Int>(0)

    func enter() {
        let now = current.add(1, ordering: .acquiringAndReleasing).newValue
        var seen = peak.load(ordering: .relaxed)
        while now > seen {
            let (exchanged, original) = peak.compareExchange(expected: seen, desired: now, ordering: .relaxed)
            if exchanged { break }
            seen = original
        }
    }

    func leave() {
        current.subtract(1, ordering: .acquiringAndReleasing)
    }

    var highest: Int { peak.load(ordering: .relaxed) }
}

/// The outcome of `body` as a value, so a test can hold it in an `async let` and look at a
/// failure afterwards.
func outcome<Value>(_ body: () async throws(DatabaseError) -> Value) async -> Result<Value, DatabaseError> {
    do throws(DatabaseError) {
        return .success(try await body())
    } catch {
        return .failure(error)
    }
}
