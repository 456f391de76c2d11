import Glibc
import Testing
import TroupeStore

/// The drivers every conformance test runs against.
enum DriverKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }
}

/// A fresh, empty database for one test, on either driver, removed afterwards.
///
/// SQLite: a file in a new temporary directory. PostgreSQL: a new schema on the shared test
/// server (or `TROUPE_TEST_POSTGRES_URL`), set as the connections' `search_path`, so tests
/// running in parallel never see each other's tables.
struct TestDatabase {
    let kind: DriverKind
    let configuration: DatabaseConfiguration

    /// Runs `body` with a connection to a fresh database of `kind`.
    static func with<R>(
        _ kind: DriverKind,
        statementCacheCapacity: Int = 64,
        busyTimeout: Duration = .seconds(5),
        _ body: (any DatabaseConnection, TestDatabase) throws -> R
    ) throws -> R {
        switch kind {
        case .sqlite:
            var template = Array("\(temporaryBase())/troupe-store-XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else { throw HarnessError("mkdtemp: \(String(cString: strerror(errno)))") }
            let directory = String(cString: made)
            defer { _ = try? ChildProcess.run(["rm", "-rf", directory]) }
            let database = TestDatabase(
                kind: kind,
                configuration: .sqlite(SQLiteConfiguration(path: "\(directory)/test.sqlite", busyTimeout: busyTimeout, statementCacheCapacity: statementCacheCapacity))
            )
            let connection = try database.connect()
            defer { connection.close() }
            return try body(connection, database)
        case .postgres:
            let url = try PostgresTestServer.baseURL()
            let admin = try PostgresConnection(configuration: PostgresConfiguration(url: url))
            defer { admin.close() }
            // The schema name is generated here, never input; DDL cannot take parameters.
            let schema = "test_\(UInt64.random(in: 0...UInt64.max))"
            try admin.execute("CREATE SCHEMA \(schema)")
            defer { _ = try? admin.execute("DROP SCHEMA \(schema) CASCADE") }
            let database = TestDatabase(
                kind: kind,
                configuration: .postgres(
                    PostgresConfiguration(url: url, settings: ["search_path": schema], statementCacheCapacity: statementCacheCapacity)
                )
            )
            let connection = try database.connect()
            defer { connection.close() }
            return try body(connection, database)
        }
    }

    /// Another connection to the same database.
    func connect() throws(DatabaseError) -> any DatabaseConnection {
        try configuration.connect()
    }

    private static func temporaryBase() -> String {
        getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    }
}
