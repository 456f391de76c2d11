import Glibc
import Testing
import Troupe
import TroupeTestSupport
@testable import TroupeStore

/// What only the SQLite driver does: its lock, its files.
@Suite("SQLite driver")
struct SQLiteDriverTests {
    @Test("a writer blocked past the busy timeout fails as transient (retryable)")
    func busyIsTransient() throws {
        try TestDatabase.with(.sqlite, busyTimeout: .milliseconds(20)) { connection, database in
            try connection.execute("CREATE TABLE t (v BIGINT)")
            let other = try database.connect()
            defer { other.close() }
            try connection.begin()  // BEGIN IMMEDIATE: holds the write lock
            let busy = #expect(throws: DatabaseError.self) { try other.begin() }
            #expect(busy?.kind == .transient)
            #expect(busy?.isRetryable == true)
            #expect(busy?.code?.hasPrefix("SQLITE_BUSY") == true)
            #expect(!other.isInTransaction)
            try connection.commit()
            // The lock is free again: the retry succeeds.
            try other.transaction { () throws(DatabaseError) in try other.execute("INSERT INTO t (v) VALUES ($1)", [1]) }
        }
    }

    @Test("a file that cannot be opened is unavailable, with what to check")
    func unopenableFileIsUnavailable() {
        let failure = #expect(throws: DatabaseError.self) {
            _ = try SQLiteConnection(configuration: SQLiteConfiguration(path: "/nonexistent-troupe-dir/db.sqlite"))
        }
        #expect(failure?.kind == .unavailable)
        #expect(failure?.description.contains("/nonexistent-troupe-dir/db.sqlite") == true)
        #expect(failure?.remedy.contains("writable") == true)
    }

    @Test("a committed write survives closing and reopening the file")
    func committedWritesPersist() throws {
        try TestDatabase.with(.sqlite) { connection, database in
            try connection.execute("CREATE TABLE t (v BIGINT)")
            try connection.transaction { () throws(DatabaseError) in try connection.execute("INSERT INTO t (v) VALUES ($1)", [7]) }
            connection.close()
            let reopened = try database.connect()
            defer { reopened.close() }
            #expect(try reopened.queryFirst("SELECT v FROM t")?.decode(Int64.self, at: 0) == 7)
        }
    }

    @Test("only $n placeholders are accepted, one parameter each")
    func otherPlaceholderStylesAreRefused() throws {
        try TestDatabase.with(.sqlite) { connection, _ in
            for sql in ["SELECT ?", "SELECT :name", "SELECT ?1", "SELECT $1, $3", "SELECT $1"] {
                let refusal = #expect(throws: DatabaseError.self) { try connection.query(sql, [1, 2]) }
                #expect(refusal?.reason.contains("$") == true || refusal?.reason.contains("placeholders") == true, "\(sql)")
            }
        }
    }
}

extension SQLiteDriverTests {
    /// Connections opened at the same moment on a brand-new file race to switch it to WAL;
    /// none may fail (the loser retries within the busy timeout). Before, a pool starting on
    /// a new file failed with SQLITE_BUSY about one start in three.
    @Test func connectionsOpeningANewFileAtOnceAllSucceed() throws {
        for round in 0..<20 {
            var template = Array("/tmp/troupe-wal-race-XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else { throw HarnessError("mkdtemp failed") }
            let directory = String(cString: made)
            defer { _ = try? ChildProcess.run(["rm", "-rf", directory]) }
            let configuration = SQLiteConfiguration(path: directory + "/new.sqlite")
            let failures = Locked<[String]>([])
            let threads = (0..<6).map { _ in
                RuntimeThread.start(name: "opener") {
                    do {
                        let connection = try SQLiteConnection(configuration: configuration)
                        connection.close()
                    } catch {
                        failures.withLock { $0.append("\(error)") }
                    }
                }
            }
            for thread in threads { thread.join() }
            #expect(failures.value.isEmpty, "round \(round): \(failures.value)")
        }
    }
}
