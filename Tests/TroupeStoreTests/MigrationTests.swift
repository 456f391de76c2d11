import Testing
import TroupeStore

/// Migrations on both drivers: versioned, transactional, idempotent, and refusing what they
/// do not understand.
@Suite("Migrations")
struct MigrationTests {
    @Test("migrating twice: the second run is a no-op", arguments: DriverKind.allCases)
    func migrateTwice(_ kind: DriverKind) throws {
        try TestDatabase.with(kind) { connection, database in
            #expect(try Migrator.backend.version(of: connection) == 0)
            let first = try Migrator.backend.migrate(connection)
            #expect(first == MigrationReport(previousVersion: 0, currentVersion: Migrator.backend.latestVersion, applied: Array(1...Migrator.backend.latestVersion)))
            // A second connection, as a restarted server would open.
            let again = try database.connect()
            defer { again.close() }
            let second = try Migrator.backend.migrate(again)
            #expect(second.isNoOp)
            #expect(second.previousVersion == Migrator.backend.latestVersion)
            #expect(try again.queryFirst("SELECT COUNT(*) FROM schema_migrations")?.decode(Int.self, at: 0) == Migrator.backend.latestVersion)
            #expect(try again.queryFirst("SELECT COUNT(*) FROM users")?.decode(Int.self, at: 0) == 0)
        }
    }

    @Test("the backend's schema is at version 2, its migrations numbered in order")
    func backendVersions() throws {
        #expect(Migrator.backend.latestVersion == 2)
        #expect(BackendSchema.migrations.map(\.name) == ["initial schema", "progression state seed and tree changes"])
        // The throwing initializer accepts them: numbered 1, 2 in order.
        #expect(try Migrator(BackendSchema.migrations).latestVersion == 2)
    }

    @Test("version 1 → 2 keeps a state row already there and lets two nodes share a sort_order", arguments: DriverKind.allCases)
    func upgradeFromVersion1(_ kind: DriverKind) throws {
        try TestDatabase.with(kind) { connection, _ in
            let released = try Migrator(Array(BackendSchema.migrations.prefix(1)))
            #expect(try released.migrate(connection).applied == [1])
            #expect(try connection.queryFirst("SELECT COUNT(*) FROM progression_state")?.decode(Int.self, at: 0) == 0, "version 1 seeds nothing")
            try connection.execute("INSERT INTO progression_state (id, banked_points, updated_at) VALUES (1, $1, $2)", [7, 9])
            try connection.execute("INSERT INTO progression_nodes (id, title, sort_order) VALUES ('a', 'A', 0)")
            // Version 1's uniqueness of sort_order.
            let duplicate = #expect(throws: DatabaseError.self) {
                try connection.execute("INSERT INTO progression_nodes (id, title, sort_order) VALUES ('b', 'B', 0)")
            }
            #expect(duplicate?.kind == .uniqueViolation(constraint: "progression_nodes_sort_order_key"))

            let report = try Migrator.backend.migrate(connection)
            #expect(report == MigrationReport(previousVersion: 1, currentVersion: 2, applied: [2]))
            let state = try connection.query("SELECT banked_points, updated_at FROM progression_state")
            #expect(state.count == 1)
            #expect(try state.first?.decode(Int64.self, at: 0) == 7)
            #expect(try state.first?.decode(Int64.self, at: 1) == 9)
            // Renumbering a reordered tree passes through duplicate positions.
            #expect(try connection.execute("INSERT INTO progression_nodes (id, title, sort_order) VALUES ('b', 'B', 0)") == 1)
            #expect(try Migrator.backend.migrate(connection).isNoOp)
        }
    }

    @Test("a database newer than the binary is refused, and left alone", arguments: DriverKind.allCases)
    func newerDatabaseIsRefused(_ kind: DriverKind) throws {
        try TestDatabase.with(kind) { connection, _ in
            try Migrator.backend.migrate(connection)
            let future = Migrator.backend.latestVersion + 1
            // What a newer binary would have recorded.
            try connection.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", [.integer(Int64(future)), "from the future", 0])
            let refusal = #expect(throws: DatabaseError.self) { try Migrator.backend.migrate(connection) }
            #expect(refusal?.kind == .incompatibleSchema(databaseVersion: future, supportedVersion: Migrator.backend.latestVersion))
            #expect(refusal?.description.contains("newer") == true)
            #expect(refusal?.description.contains("version \(future)") == true)
            #expect(!connection.isInTransaction)
            #expect(try Migrator.backend.version(of: connection) == future)
        }
    }

    @Test("a database from another schema lineage is refused", arguments: DriverKind.allCases)
    func otherLineageIsRefused(_ kind: DriverKind) throws {
        try TestDatabase.with(kind) { connection, _ in
            let ours = try Migrator([Migration(version: 1, name: "ours") { _ in ["CREATE TABLE a (v BIGINT)"] }])
            let theirs = try Migrator([Migration(version: 1, name: "theirs") { _ in ["CREATE TABLE b (v BIGINT)"] }])
            try ours.migrate(connection)
            let refusal = #expect(throws: DatabaseError.self) { try theirs.migrate(connection) }
            #expect(refusal?.kind == .incompatibleSchema(databaseVersion: 1, supportedVersion: 1))
            #expect(refusal?.reason.contains("theirs") == true)
        }
    }

    @Test("a failing migration leaves the database exactly as it was", arguments: DriverKind.allCases)
    func failingMigrationIsRolledBack(_ kind: DriverKind) throws {
        try TestDatabase.with(kind) { connection, _ throws in
            let first = Migration(version: 1, name: "first") { _ in ["CREATE TABLE a (v BIGINT)"] }
            let broken = Migration(version: 2, name: "broken") { _ in ["CREATE TABLE b (v BIGINT)", "CREATE TABLE a (v BIGINT)"] }
            #expect(throws: DatabaseError.self) { try Migrator([first, broken]).migrate(connection) }
            #expect(try Migrator([first]).version(of: connection) == 0)
            // Neither table exists: version 1 was rolled back with version 2.
            #expect(throws: DatabaseError.self) { try connection.query("SELECT v FROM a") }
            // Fixed, it applies both.
            let fixed = Migration(version: 2, name: "broken") { _ in ["CREATE TABLE b (v BIGINT)"] }
            #expect(try Migrator([first, fixed]).migrate(connection).applied == [1, 2])
        }
    }

    @Test("every query the backend makes is served by an index", arguments: DriverKind.allCases)
    func plannedQueriesUseIndexes(_ kind: DriverKind) throws {
        try TestDatabase.with(kind) { connection, _ in
            try Migrator.backend.migrate(connection)
            if kind == .postgres {
                // Empty tables make a sequential scan the cheapest plan; forbid it where an
                // index can serve, so a Seq Scan left in the plan means no index fits.
                try connection.execute("SET enable_seqscan = off")
            }
            for query in BackendSchema.plannedQueries where !query.readsWholeTable {
                let plan: [String]
                switch kind {
                case .sqlite:
                    plan = try connection.query("EXPLAIN QUERY PLAN \(query.sql)", query.sampleParameters).map { row throws(DatabaseError) in
                        try row.decode(String.self, at: 3)
                    }
                    let fullScans = plan.filter { $0.hasPrefix("SCAN ") && !$0.contains(" USING ") }
                    #expect(fullScans.isEmpty, "\(query.purpose): \(plan)")
                case .postgres:
                    plan = try connection.query("EXPLAIN \(query.sql)", query.sampleParameters).map { row throws(DatabaseError) in
                        try row.decode(String.self, at: 0)
                    }
                    #expect(!plan.contains { $0.contains("Seq Scan") }, "\(query.purpose): \(plan.joined(separator: "\n"))")
                }
            }
            // The whole-table reads run too.
            for query in BackendSchema.plannedQueries where query.readsWholeTable {
                _ = try connection.query(query.sql, query.sampleParameters)
            }
        }
    }
}
