import TroupeTestSupport
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
struct TestDatabase: Sendable {
    let kind: DriverKind
    let configuration: DatabaseConfiguration

    /// Runs `body` with a connection to a fresh database of `kind`.
    static func with<R>(
        _ kind: DriverKind,
        statementCacheCapacity: Int = 64,
        busyTimeout: Duration = .seconds(5),
        _ body: (any DatabaseConnection, TestDatabase) throws -> R
    ) throws -> R {
        let (database, removal) = try make(kind, statementCacheCapacity: statementCacheCapacity, busyTimeout: busyTimeout)
        defer { removal.remove() }
        let connection = try database.connect()
        defer { connection.close() }
        return try body(connection, database)
    }

    /// Runs `body` with a fresh database of `kind` (no connection of its own: pool tests
    /// open theirs), removed afterwards.
    static func with<R>(
        _ kind: DriverKind,
        busyTimeout: Duration = .seconds(5),
        postgresURL: String? = nil,
        _ body: (TestDatabase) async throws -> R
    ) async throws -> R {
        let (database, removal) = try make(kind, busyTimeout: busyTimeout, postgresURL: postgresURL)
        defer { removal.remove() }
        return try await body(database)
    }

    /// Another connection to the same database.
    func connect() throws(DatabaseError) -> any DatabaseConnection {
        try configuration.connect()
    }

    /// Undoes ``make(_:statementCacheCapacity:busyTimeout:postgresURL:)``.
    struct Removal {
        let remove: () -> Void
    }

    /// Creates a fresh database and says how to remove it.
    private static func make(
        _ kind: DriverKind,
        statementCacheCapacity: Int = 64,
        busyTimeout: Duration,
        postgresURL: String? = nil
    ) throws -> (TestDatabase, Removal) {
        switch kind {
        case .sqlite:
            var template = Array("\(temporaryBase())/troupe-store-XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else { throw HarnessError("mkdtemp: \(String(cString: strerror(errno)))") }
            let directory = String(cString: made)
            let database = TestDatabase(
                kind: kind,
                configuration: .sqlite(SQLiteConfiguration(path: "\(directory)/test.sqlite", busyTimeout: busyTimeout, statementCacheCapacity: statementCacheCapacity))
            )
            return (database, Removal { _ = try? ChildProcess.run(["rm", "-rf", directory]) })
        case .postgres:
            let url = try postgresURL ?? PostgresTestServer.baseURL()
            let admin = try PostgresConnection(configuration: PostgresConfiguration(url: url))
            // The schema name is generated here, never input; DDL cannot take parameters.
            let schema = "test_\(UInt64.random(in: 0...UInt64.max))"
            do {
                try admin.execute("CREATE SCHEMA \(schema)")
            } catch {
                admin.close()
                throw error
            }
            let database = TestDatabase(
                kind: kind,
                configuration: .postgres(
                    PostgresConfiguration(url: url, settings: ["search_path": schema], statementCacheCapacity: statementCacheCapacity)
                )
            )
            return (
                database,
                Removal {
                    _ = try? admin.execute("DROP SCHEMA \(schema) CASCADE")
                    admin.close()
                }
            )
        }
    }

    private static func temporaryBase() -> String {
        getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    }
}
