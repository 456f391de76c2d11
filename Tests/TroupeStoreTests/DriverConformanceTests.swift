import Testing
@testable import TroupeStore

/// One suite, run against both drivers on real databases: what the pool and the backend
/// may rely on whichever database is configured.
@Suite("Driver conformance")
struct DriverConformanceTests {
    @Test("every value type round-trips through parameters and rows", arguments: DriverKind.allCases)
    func valuesRoundTrip(_ kind: DriverKind) throws {
        try TestDatabase.with(kind) { connection, _ in
            let dialect = connection.dialect
            try connection.execute(
                "CREATE TABLE samples (id \(dialect.identityPrimaryKey), i BIGINT, d DOUBLE PRECISION, t TEXT, b \(dialect.bytesType), f BOOLEAN)"
            )
            let samples: [(Int64?, Double?, String?, [UInt8]?, Bool?)] = [
                (0, 0, "", [], false),
                (.min, -.infinity, "plain", [0], true),
                (.max, .infinity, "quote ' \" \\ ; -- DROP TABLE samples; $1 ?", Array(0...255), false),
                (-1, 0.1, "héllo wörld ✓ 🎭 日本", [0xFF, 0x00, 0xFE], true),
                (42, 1.7976931348623157e308, String(repeating: "long ", count: 20_000), [UInt8](repeating: 7, count: 100_000), nil),
                (nil, -2.5e-300, nil, nil, true),
                (nil, nil, nil, nil, nil),
            ]
            for sample in samples {
                let inserted = try connection.query(
                    "INSERT INTO samples (i, d, t, b, f) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    [sample.0.databaseValue, sample.1.databaseValue, sample.2.databaseValue, sample.3.databaseValue, sample.4.databaseValue]
                )
                let id = try #require(inserted.first).decode(Int64.self, at: 0)
                let row = try #require(try connection.queryFirst("SELECT i, d, t, b, f FROM samples WHERE id = $1", [.integer(id)]))
                #expect(try row.decode(Int64?.self, at: 0) == sample.0)
                #expect(try row.decode(Double?.self, at: 1) == sample.1)
                #expect(try row.decode(String?.self, column: "t") == sample.2)
                #expect(try row.decode([UInt8]?.self, column: "b") == sample.3)
                #expect(try row.decode(Bool?.self, column: "f") == sample.4)
            }
            #expect(try connection.queryFirst("SELECT COUNT(*) FROM samples")?.decode(Int.self, at: 0) == samples.count)
        }
    }

    @Test("placeholders mean $n in both dialects, in any order and repeated", arguments: DriverKind.allCases)
    func placeholdersBindByNumber(_ kind: DriverKind) throws {
        try TestDatabase.with(kind) { connection, _ in
            let row = try #require(try connection.queryFirst("SELECT $2, $1, $2 || $1", ["a", "b"]))
            #expect(row.values == [.text("b"), .text("a"), .text("ba")])
            // Typed values, no table: integers, floats and booleans come back as sent.
            let typed = try #require(try connection.queryFirst("SELECT $1, $2, $3", [.integer(7), .double(2.5), .bool(true)]))
            #expect(try typed.decode(Int64.self, at: 0) == 7)
            #expect(try typed.decode(Double.self, at: 1) == 2.5)
            #expect(try typed.decode(Bool.self, at: 2) == true)
        }
    }

    @Test("rows decode strictly, with errors that name the column", arguments: DriverKind.allCases)
    func typedAccessErrors(_ kind: DriverKind) throws {
        try TestDatabase.with(kind) { connection, _ in
            let row = try #require(try connection.queryFirst("SELECT $1 AS name, $2 AS count", ["alice", 3]))
            #expect(row.columnNames == ["name", "count"])
            #expect(try row.decode(Int.self, column: "count") == 3)
            let wrongType = #expect(throws: DatabaseError.self) { try row.decode(Int64.self, column: "name") }
            #expect(wrongType?.kind == .other)
            #expect(wrongType?.reason.contains("name") == true)
            #expect(wrongType?.reason.contains("text") == true)
            let missing = #expect(throws: DatabaseError.self) { try row.decode(String.self, column: "nope") }
            #expect(missing?.reason.contains("nope") == true)
            #expect(throws: DatabaseError.self) { try row.decode(String.self, at: 5) }
        }
    }

    @Test("SUM and COUNT read as integers on both", arguments: DriverKind.allCases)
    func aggregatesReadAsIntegers(_ kind: DriverKind) throws {
        try TestDatabase.with(kind) { connection, _ in
            try connection.execute("CREATE TABLE points (p BIGINT NOT NULL)")
            for value: Int64 in [5, 7, 30] {
                try connection.execute("INSERT INTO points (p) VALUES ($1)", [.integer(value)])
            }
            let row = try #require(try connection.queryFirst("SELECT SUM(p), COUNT(*), COALESCE(SUM(p), 0) FROM points"))
            #expect(try row.decode(Int64.self, at: 0) == 42)
            #expect(try row.decode(Int64.self, at: 1) == 3)
            #expect(try row.decode(Int64.self, at: 2) == 42)
        }
    }

    @Test("execute reports rows changed, and 0 for other statements", arguments: DriverKind.allCases)
    func executeCountsChanges(_ kind: DriverKind) throws {
        try TestDatabase.with(kind) { connection, _ throws in
            #expect(try connection.execute("CREATE TABLE t (v BIGINT)") == 0)
            #expect(try connection.execute("INSERT INTO t (v) VALUES ($1), ($2), ($3)", [1, 2, 3]) == 3)
            #expect(try connection.execute("UPDATE t SET v = v + 1 WHERE v >= $1", [2]) == 2)
            #expect(try connection.execute("CREATE INDEX t_v_idx ON t (v)") == 0)
            #expect(try connection.execute("DELETE FROM t") == 3)
        }
    }

    @Test("a unique violation is typed and names its constraint the same on both", arguments: DriverKind.allCases)
    func uniqueViolationNamesConstraint(_ kind: DriverKind) throws {
        try TestDatabase.with(kind) { connection, _ in
            try Migrator.backend.migrate(connection)
            let addUser = "INSERT INTO users (name, password_hash, is_admin, created_at) VALUES ($1, $2, $3, $4) RETURNING id"
            let alice = try #require(try connection.queryFirst(addUser, ["alice", "hash", false, 1])).decode(Int64.self, at: 0)
            let duplicate = #expect(throws: DatabaseError.self) { try connection.query(addUser, ["alice", "other", false, 2]) }
            #expect(duplicate?.kind == .uniqueViolation(constraint: "users_name_key"))
            #expect(duplicate?.isRetryable == false)
            #expect(duplicate?.description.contains("already exists") == true)

            // The last guard against a duplicate unlock: UNIQUE(node_id, level).
            try connection.execute("INSERT INTO progression_nodes (id, title, sort_order) VALUES ($1, $2, $3)", ["forge", "Forge", 1])
            try connection.execute("INSERT INTO progression_levels (node_id, level, cost) VALUES ($1, $2, $3)", ["forge", 1, 100])
            let unlock = "INSERT INTO progression_unlocks (node_id, level, unlocked_at) VALUES ($1, $2, $3)"
            try connection.execute(unlock, ["forge", 1, 10])
            let secondUnlock = #expect(throws: DatabaseError.self) { try connection.execute(unlock, ["forge", 1, 11]) }
            #expect(secondUnlock?.kind == .uniqueViolation(constraint: "progression_unlocks_node_id_level_key"))

            // Primary keys are named as PostgreSQL names them: <table>_pkey.
            let weight = "INSERT INTO engagement_weights (kind, points, updated_at) VALUES ($1, $2, $3)"
            try connection.execute(weight, ["message", 1, 0])
            let secondWeight = #expect(throws: DatabaseError.self) { try connection.execute(weight, ["message", 2, 0]) }
            #expect(secondWeight?.kind == .uniqueViolation(constraint: "engagement_weights_pkey"))

            let session = try #require(try connection.queryFirst("INSERT INTO voting_sessions (opened_at, ends_at) VALUES ($1, $2) RETURNING id", [0, 30_000]))
                .decode(Int64.self, at: 0)
            try connection.execute("INSERT INTO voting_candidates (session_id, node_id, listed_order) VALUES ($1, $2, $3)", [.integer(session), "forge", 1])
            let vote = "INSERT INTO votes (session_id, user_id, node_id, voted_at) VALUES ($1, $2, $3, $4)"
            try connection.execute(vote, [.integer(session), .integer(alice), "forge", 1])
            let secondVote = #expect(throws: DatabaseError.self) { try connection.execute(vote, [.integer(session), .integer(alice), "forge", 2]) }
            #expect(secondVote?.kind == .uniqueViolation(constraint: "votes_pkey"))

            // The connection is fine afterwards.
            #expect(try connection.queryFirst("SELECT COUNT(*) FROM users")?.decode(Int.self, at: 0) == 1)
        }
    }

    @Test("other constraints are typed as other, with advice", arguments: DriverKind.allCases)
    func otherConstraintsAreOther(_ kind: DriverKind) throws {
        try TestDatabase.with(kind) { connection, _ in
            try Migrator.backend.migrate(connection)
            // A foreign key: no such user.
            let orphan = #expect(throws: DatabaseError.self) {
                try connection.execute("INSERT INTO room_messages (room, user_id, body, created_at) VALUES ($1, $2, $3, $4)", ["lobby", 99, .blob([1]), 0])
            }
            #expect(orphan?.kind == .other)
            #expect(orphan?.isRetryable == false)
            #expect(orphan?.remedy.contains("FOREIGN KEY") == true)
        }
    }

    @Test("transactions commit, roll back, and clean up after a throwing body", arguments: DriverKind.allCases)
    func transactions(_ kind: DriverKind) throws {
        try TestDatabase.with(kind) { connection, database in
            try connection.execute("CREATE TABLE t (v BIGINT NOT NULL)")
            let observer = try database.connect()
            defer { observer.close() }
            func count() throws -> Int { try observer.queryFirst("SELECT COUNT(*) FROM t")?.decode(Int.self, at: 0) ?? -1 }

            #expect(!connection.isInTransaction)
            try connection.begin()
            #expect(connection.isInTransaction)
            try connection.execute("INSERT INTO t (v) VALUES ($1)", [1])
            #expect(try count() == 0)  // not visible before commit
            try connection.commit()
            #expect(!connection.isInTransaction)
            #expect(try count() == 1)

            try connection.begin()
            try connection.execute("INSERT INTO t (v) VALUES ($1)", [2])
            try connection.rollback()
            #expect(!connection.isInTransaction)
            #expect(try count() == 1)

            let value = try connection.transaction { () throws(DatabaseError) -> Int in
                try connection.execute("INSERT INTO t (v) VALUES ($1)", [3])
            }
            #expect(value == 1)
            #expect(try count() == 2)

            let failure = #expect(throws: DatabaseError.self) {
                try connection.transaction { () throws(DatabaseError) in
                    try connection.execute("INSERT INTO t (v) VALUES ($1)", [4])
                    try connection.execute("INSERT INTO t (v) VALUES ($1)", [.null])  // NOT NULL
                }
            }
            #expect(failure?.kind == .other)
            #expect(!connection.isInTransaction)
            #expect(try count() == 2)
        }
    }

    @Test("transaction misuse fails clearly; rollback outside one is harmless", arguments: DriverKind.allCases)
    func transactionMisuse(_ kind: DriverKind) throws {
        try TestDatabase.with(kind) { connection, _ in
            try connection.rollback()
            #expect(throws: DatabaseError.self) { try connection.commit() }
            #expect(throws: DatabaseError.self) { try connection.perform(.savepoint) }
            try connection.begin()
            let nested = #expect(throws: DatabaseError.self) { try connection.begin() }
            #expect(nested?.reason.contains("inside a transaction") == true)
            #expect(connection.isInTransaction)
            try connection.rollback()
        }
    }

    @Test("a failed write inside a savepoint leaves the rest of the transaction intact", arguments: DriverKind.allCases)
    func savepointIsolatesAFailure(_ kind: DriverKind) throws {
        try TestDatabase.with(kind) { connection, _ in
            try connection.execute("CREATE TABLE t (v BIGINT PRIMARY KEY)")
            try connection.transaction { () throws(DatabaseError) in
                try connection.execute("INSERT INTO t (v) VALUES ($1)", [1])
                let duplicate = #expect(throws: DatabaseError.self) {
                    try connection.withSavepoint { () throws(DatabaseError) in
                        try connection.execute("INSERT INTO t (v) VALUES ($1)", [2])
                        try connection.execute("INSERT INTO t (v) VALUES ($1)", [1])
                    }
                }
                #expect(duplicate?.kind == .uniqueViolation(constraint: "t_pkey"))
                // Nested savepoints unwind one at a time.
                try connection.withSavepoint { () throws(DatabaseError) in
                    try connection.execute("INSERT INTO t (v) VALUES ($1)", [3])
                    _ = try? connection.withSavepoint { () throws(DatabaseError) in
                        try connection.execute("INSERT INTO t (v) VALUES ($1)", [4])
                        try connection.execute("INSERT INTO t (v) VALUES ($1)", [3])
                    }
                }
                try connection.execute("INSERT INTO t (v) VALUES ($1)", [5])
            }
            let values = try connection.query("SELECT v FROM t ORDER BY v").map { row throws(DatabaseError) in try row.decode(Int64.self, at: 0) }
            #expect(values == [1, 3, 5])
        }
    }

    @Test("one statement per call, and one parameter per placeholder", arguments: DriverKind.allCases)
    func statementShapeIsChecked(_ kind: DriverKind) throws {
        try TestDatabase.with(kind) { connection, _ in
            try connection.execute("CREATE TABLE t (v BIGINT)")
            let two = #expect(throws: DatabaseError.self) { try connection.execute("INSERT INTO t (v) VALUES (1); DROP TABLE t") }
            #expect(two?.kind == .other)
            #expect(try connection.queryFirst("SELECT COUNT(*) FROM t")?.decode(Int.self, at: 0) == 0)
            #expect(try connection.query("SELECT 1; -- a trailing comment is fine").count == 1)
            // (Extra parameters are refused by SQLite only: PostgreSQL accepts declared but
            // unused parameters.)
            let missing = #expect(throws: DatabaseError.self) { try connection.query("SELECT $1, $2", [1]) }
            #expect(missing?.kind == .other)
            let syntax = #expect(throws: DatabaseError.self) { try connection.query("SELEKT 1") }
            #expect(syntax?.kind == .other)
            #expect(syntax?.code != nil)
            // Still usable.
            try connection.ping()
        }
    }

    @Test("the statement cache is bounded and evicts without breaking anything", arguments: DriverKind.allCases)
    func statementCacheIsBounded(_ kind: DriverKind) throws {
        try TestDatabase.with(kind, statementCacheCapacity: 3) { connection, _ in
            for round in 0..<3 {
                for number in 0..<6 {
                    let row = try #require(try connection.queryFirst("SELECT $1 + \(number)", [.integer(Int64(round))]))
                    #expect(try row.decode(Int64.self, at: 0) == Int64(round + number))
                }
            }
            let cached = switch connection {
            case let sqlite as SQLiteConnection: sqlite.cachedStatementCount
            case let postgres as PostgresConnection: postgres.cachedStatementCount
            default: -1
            }
            #expect(cached == 3)
        }
    }

    @Test("durability settings read back", arguments: DriverKind.allCases)
    func durabilitySettings(_ kind: DriverKind) throws {
        try TestDatabase.with(kind, busyTimeout: .milliseconds(1234)) { connection, _ throws in
            switch kind {
            case .sqlite:
                #expect(try connection.queryFirst("PRAGMA journal_mode")?.decode(String.self, at: 0) == "wal")
                #expect(try connection.queryFirst("PRAGMA synchronous")?.decode(Int.self, at: 0) == 2)  // FULL
                #expect(try connection.queryFirst("PRAGMA busy_timeout")?.decode(Int.self, at: 0) == 1234)
                #expect(try connection.queryFirst("PRAGMA foreign_keys")?.decode(Int.self, at: 0) == 1)
            case .postgres:
                #expect(try connection.queryFirst("SHOW synchronous_commit")?.decode(String.self, at: 0) == "on")
                #expect(try connection.queryFirst("SHOW extra_float_digits")?.decode(String.self, at: 0) == "3")
                #expect(try connection.queryFirst("SHOW client_encoding")?.decode(String.self, at: 0) == "UTF8")
            }
        }
    }

    @Test("a closed connection fails as unavailable", arguments: DriverKind.allCases)
    func closedConnection(_ kind: DriverKind) throws {
        try TestDatabase.with(kind) { _, database in
            let connection = try database.connect()
            connection.close()
            let closed = #expect(throws: DatabaseError.self) { try connection.ping() }
            #expect(closed?.kind == .unavailable)
        }
    }
}
