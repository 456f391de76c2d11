import Foundation
import Testing
import Troupe
import TroupeBackend
import TroupeStore
import TroupeTestSupport
import TroupeTesting

/// Which database a fixture's backend runs on.
enum FixtureDatabase: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }
}

/// A backend on a fresh SQLite file in a temporary directory, with a manual clock driving
/// both its monotonic and wall clocks. Shut down and removed afterwards, whatever the test
/// does.
struct BackendFixture: Sendable {
    let backend: Backend
    let clock: ManualClock
    let directory: String
    /// The wall clock's reading when the fixture started (Unix ms).
    static let epoch: Int64 = 1_700_000_000_000
    static let adminPassword = "admin-password"

    static func with(
        directory existing: String? = nil,
        configure: (inout BackendConfiguration) -> Void = { _ in },
        _ body: (BackendFixture) async throws -> Void
    ) async throws {
        let directory = existing ?? FileManager.default.temporaryDirectory.appendingPathComponent("troupe-backend-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { if existing == nil { try? FileManager.default.removeItem(atPath: directory) } }
        try await run(directory: directory, configure: configure, body)
    }

    /// Runs `body` with the configuration of a fresh database of `kind` (SQLite: a file in a
    /// new directory; PostgreSQL: a new schema on the test server), removed afterwards.
    /// `body` starts backends on it with ``run(database:configure:_:)``, as often as it likes.
    static func withDatabase(_ kind: FixtureDatabase, _ body: (DatabaseConfiguration) async throws -> Void) async throws {
        switch kind {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("troupe-backend-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try await body(.sqlite(SQLiteConfiguration(path: directory + "/troupe.db")))
        case .postgres:
            let url = try PostgresTestServer.baseURL()
            let admin = try PostgresConnection(configuration: PostgresConfiguration(url: url))
            defer { admin.close() }
            // The schema name is generated here, never input; DDL cannot take parameters.
            let schema = "backend_\(UInt64.random(in: 0...UInt64.max))"
            try admin.execute("CREATE SCHEMA \(schema)")
            defer { _ = try? admin.execute("DROP SCHEMA \(schema) CASCADE") }
            try await body(.postgres(PostgresConfiguration(url: url, settings: ["search_path": schema])))
        }
    }

    /// Starts a backend on `database`, runs `body`, shuts it down.
    static func run(
        database: DatabaseConfiguration,
        configure: (inout BackendConfiguration) -> Void = { _ in },
        _ body: (BackendFixture) async throws -> Void
    ) async throws {
        try await run(directory: "", configure: { configuration in
            configuration.database = database
            configure(&configuration)
        }, body)
    }

    /// Starts a backend on the database in `directory` (kept), runs `body`, shuts it down.
    static func run(
        directory: String,
        configure: (inout BackendConfiguration) -> Void = { _ in },
        _ body: (BackendFixture) async throws -> Void
    ) async throws {
        let clock = ManualClock()
        var configuration = BackendConfiguration()
        if !directory.isEmpty { configuration.database = .sqlite(SQLiteConfiguration(path: directory + "/troupe.db")) }
        configuration.clock = clock
        configuration.wallClock = .following(clock, from: epoch)
        configuration.passwordCost = 1
        configuration.kdfThreads = 2
        configuration.admins = [UserName("root")!]
        configuration.adminPassword = adminPassword
        configuration.randomSeed = 7
        configuration.logLevel = .error
        configure(&configuration)
        let backend = try await Backend.start(configuration)
        let fixture = BackendFixture(backend: backend, clock: clock, directory: directory)
        do {
            try await body(fixture)
        } catch {
            await backend.shutdown(deadline: .seconds(1))
            throw error
        }
        await backend.shutdown(deadline: .seconds(1))
    }

    /// A new connection with its own sink.
    func connect(sinkCapacity: Int = 100_000) -> Client {
        let sink = TestSink(capacity: sinkCapacity)
        return Client(backend: backend, connection: backend.connect(pushes: sink), sink: sink)
    }

    /// A registered, logged-in connection of `user`.
    func user(_ user: String, password: String = "password-1") async throws -> Client {
        let client = connect()
        let registered = await client.run("REGISTER", user, password)
        if case .failure(let error) = registered, error.code != .conflict { throw error }
        try await client.ok("LOGIN", user, password)
        return client
    }

    func admin() async throws -> Client {
        let client = connect()
        try await client.ok("AUTH", "root", Self.adminPassword)
        return client
    }
}

/// One connection of a test: runs requests as the front would (parse, then execute).
struct Client: Sendable {
    let backend: Backend
    let connection: BackendConnection
    let sink: TestSink

    func run(_ arguments: String...) async -> Result<Reply, ErrorReply> {
        await run(arguments)
    }

    func run(_ arguments: [String]) async -> Result<Reply, ErrorReply> {
        do {
            let command = try Command.parse(arguments.map { Array($0.utf8) })
            return .success(try await backend.execute(command, on: connection))
        } catch {
            return .failure(error)
        }
    }

    /// Runs a request that must succeed and returns its reply.
    @discardableResult
    func ok(_ arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) async throws -> Reply {
        switch await run(arguments) {
        case .success(let reply): return reply
        case .failure(let error):
            Issue.record("\(arguments.joined(separator: " ")) failed: \(error)", sourceLocation: sourceLocation)
            throw error
        }
    }

    /// Runs a request that must fail and returns its error.
    @discardableResult
    func fails(_ arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) async -> ErrorReply? {
        switch await run(arguments) {
        case .success(let reply):
            Issue.record("\(arguments.joined(separator: " ")) succeeded with \(reply), expected an error", sourceLocation: sourceLocation)
            return nil
        case .failure(let error): return error
        }
    }

    func integer(_ arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) async throws -> Int64 {
        let reply = try await run(arguments).get()
        guard case .integer(let value) = reply else {
            Issue.record("\(arguments.joined(separator: " ")) replied \(reply), expected an integer", sourceLocation: sourceLocation)
            return -1
        }
        return value
    }

    func disconnect() async {
        await backend.disconnect(connection)
    }
}

extension Reply {
    /// The elements of an array reply (empty for anything else).
    var elements: [Reply] {
        if case .array(let elements) = self { return elements }
        return []
    }

    /// The value of `key` in a map reply.
    subscript(key: String) -> Reply? {
        if case .map(let fields) = self { return fields.first { $0.key == key }?.value }
        return nil
    }

    var text: String? {
        if case .bulk(let bytes) = self { return String(decoding: bytes, as: UTF8.self) }
        if case .simple(let text) = self { return text }
        return nil
    }
}
