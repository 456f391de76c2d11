import TroupeTestSupport
import Testing
@testable import TroupeStore

/// What only the PostgreSQL driver does: a server that can go away, and its own rules.
@Suite("PostgreSQL driver")
struct PostgresDriverTests {
    @Test("a lost connection is reported transient, and the next call reconnects")
    func reconnectsAfterConnectionLoss() throws {
        try TestDatabase.with(.postgres) { connection, database in
            let victim = try #require(connection as? PostgresConnection)
            try victim.execute("CREATE TABLE t (v BIGINT)")
            try victim.execute("INSERT INTO t (v) VALUES ($1)", [1])  // prepared and cached
            let before = victim.serverProcessID
            try terminate(before, from: database)

            let lost = #expect(throws: DatabaseError.self) { try victim.query("SELECT v FROM t") }
            #expect(lost?.kind == .transient)
            #expect(lost?.isRetryable == true)
            #expect(lost?.code == DatabaseError.lostConnectionCode)
            // Reconnected: a new server process, and cached statements are prepared afresh.
            #expect(victim.serverProcessID != before)
            try victim.execute("INSERT INTO t (v) VALUES ($1)", [2])
            #expect(try victim.queryFirst("SELECT COUNT(*) FROM t")?.decode(Int.self, at: 0) == 2)
        }
    }

    @Test("a transaction lost with its connection blocks further work until rolled back")
    func lostTransactionNeverContinuesInAutocommit() throws {
        try TestDatabase.with(.postgres) { connection, database in
            let victim = try #require(connection as? PostgresConnection)
            try victim.execute("CREATE TABLE t (v BIGINT)")
            try victim.begin()
            try victim.execute("INSERT INTO t (v) VALUES ($1)", [1])
            try terminate(victim.serverProcessID, from: database)

            let lost = #expect(throws: DatabaseError.self) { try victim.execute("INSERT INTO t (v) VALUES ($1)", [2]) }
            #expect(lost?.kind == .transient)
            #expect(lost?.remedy.contains("whole transaction") == true)
            // Still "in" the lost transaction: the next statement must not run on its own.
            #expect(victim.isInTransaction)
            #expect(throws: DatabaseError.self) { try victim.execute("INSERT INTO t (v) VALUES ($1)", [3]) }
            #expect(throws: DatabaseError.self) { try victim.commit() }
            try victim.rollback()
            #expect(!victim.isInTransaction)
            #expect(try victim.queryFirst("SELECT COUNT(*) FROM t")?.decode(Int.self, at: 0) == 0)
        }
    }

    @Test("a connection lost during COMMIT is not retryable: the commit may have happened")
    func lostCommitIsAmbiguous() throws {
        try TestDatabase.with(.postgres) { connection, database in
            let victim = try #require(connection as? PostgresConnection)
            try victim.execute("CREATE TABLE t (v BIGINT)")
            try victim.begin()
            try victim.execute("INSERT INTO t (v) VALUES ($1)", [1])
            try terminate(victim.serverProcessID, from: database)

            let lost = #expect(throws: DatabaseError.self) { try victim.commit() }
            #expect(lost?.kind == .other)
            #expect(lost?.isRetryable == false)
            #expect(lost?.reason.contains("may or may not have committed") == true)
            try victim.rollback()
            // Here the server had ended the session first, so nothing was committed; the
            // driver cannot tell that case from a lost acknowledgement.
            #expect(try victim.queryFirst("SELECT COUNT(*) FROM t")?.decode(Int.self, at: 0) == 0)
        }
    }

    @Test("a serialization failure is transient")
    func serializationFailureIsTransient() throws {
        try TestDatabase.with(.postgres) { connection, database in
            try connection.execute("CREATE TABLE t (id BIGINT PRIMARY KEY, v BIGINT)")
            try connection.execute("INSERT INTO t (id, v) VALUES ($1, $2)", [1, 0])
            let other = try database.connect()
            defer { other.close() }
            try connection.begin()
            try connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            _ = try connection.query("SELECT v FROM t WHERE id = $1", [1])  // snapshot taken
            try other.execute("UPDATE t SET v = v + 1 WHERE id = $1", [1])  // commits in between
            let conflict = #expect(throws: DatabaseError.self) { try connection.execute("UPDATE t SET v = v + 10 WHERE id = $1", [1]) }
            #expect(conflict?.kind == .transient)
            #expect(conflict?.code == "40001")
            try connection.rollback()
        }
    }

    @Test("COMMIT of a failed transaction throws instead of silently rolling back")
    func commitOfFailedTransactionThrows() throws {
        try TestDatabase.with(.postgres) { connection, _ in
            try connection.execute("CREATE TABLE t (v BIGINT NOT NULL)")
            try connection.begin()
            try connection.execute("INSERT INTO t (v) VALUES ($1)", [1])
            _ = try? connection.execute("INSERT INTO t (v) VALUES ($1)", [.null])
            let aborted = #expect(throws: DatabaseError.self) { try connection.execute("INSERT INTO t (v) VALUES ($1)", [2]) }
            #expect(aborted?.code == "25P02")
            let commit = #expect(throws: DatabaseError.self) { try connection.commit() }
            #expect(commit?.reason.contains("rolled it back") == true)
            #expect(!connection.isInTransaction)
            #expect(try connection.queryFirst("SELECT COUNT(*) FROM t")?.decode(Int.self, at: 0) == 0)
        }
    }

    @Test("a statement past statement_timeout fails as timeout")
    func statementTimeout() throws {
        let url = try PostgresTestServer.baseURL()
        let connection = try PostgresConnection(configuration: PostgresConfiguration(url: url, statementTimeout: .milliseconds(20)))
        defer { connection.close() }
        #expect(try connection.queryFirst("SHOW statement_timeout")?.decode(String.self, at: 0) == "20ms")
        let timeout = #expect(throws: DatabaseError.self) { try connection.query("SELECT pg_sleep(5)") }
        #expect(timeout?.kind == .timeout)
        #expect(timeout?.isRetryable == false)
        try connection.ping()
    }

    @Test("a server that does not answer is unavailable, with what to check")
    func unreachableServerIsUnavailable() {
        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        let failure = #expect(throws: DatabaseError.self) {
            _ = try PostgresConnection(configuration: PostgresConfiguration(url: "postgresql://troupe@127.0.0.1:1/postgres", connectTimeout: .seconds(2)))
        }
        #expect(failure?.kind == .unavailable)
        #expect(failure?.reason.contains("127.0.0.1") == true)
        #expect(failure?.remedy.contains("running") == true)
    }

    @Test("settings values with spaces and backslashes reach the session intact")
    func settingsAreEscaped() throws {
        let url = try PostgresTestServer.baseURL()
        let value = "a note \\ with spaces"
        let connection = try PostgresConnection(configuration: PostgresConfiguration(url: url, settings: ["troupe.note": value]))
        defer { connection.close() }
        #expect(try connection.queryFirst("SHOW troupe.note")?.decode(String.self, at: 0) == value)
    }

    @Test("text with a NUL byte is refused, not truncated")
    func nulInTextIsRefused() throws {
        try TestDatabase.with(.postgres) { connection, _ in
            let refused = #expect(throws: DatabaseError.self) { try connection.query("SELECT $1", [.text("a\u{0}b")]) }
            #expect(refused?.kind == .other)
        }
    }

    /// Terminates a server process and waits (bounded, server-side) until it is gone.
    private func terminate(_ processID: Int32, from database: TestDatabase) throws {
        let admin = try database.connect()
        defer { admin.close() }
        let done = try admin.queryFirst("SELECT pg_terminate_backend($1::integer, 5000)", [.integer(Int64(processID))])?.decode(Bool.self, at: 0)
        #expect(done == true)
    }
}
