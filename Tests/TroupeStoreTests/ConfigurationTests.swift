import TroupeTestSupport
import Glibc
import Testing
import TroupeTesting
@testable import TroupeStore

/// Defaults that bound a hung or vanished PostgreSQL server, read back from a live session
/// and its socket; settings a person can get wrong are typed errors, never traps.
@Suite("Configuration", .timeLimit(.minutes(1)))
struct ConfigurationTests {
    @Test("PostgreSQL sessions get statement_timeout 30 s and TCP keepalive 30 s / 10 s / 3 by default")
    func postgresDefaults() throws {
        try TestDatabase.with(.postgres) { connection, _ in
            let postgres = try #require(connection as? PostgresConnection)
            #expect(postgres.configuration.statementTimeout == .seconds(30))
            #expect(try connection.queryFirst("SHOW statement_timeout")?.decode(String.self, at: 0) == "30s")
            #expect(try Self.keepalive(of: postgres) == KeepaliveOptions(enabled: 1, idle: 30, interval: 10, count: 3))
        }
    }

    @Test("PostgreSQL statement_timeout and keepalive are configurable; nil leaves the server's and the system's")
    func postgresConfigurable() throws {
        let url = try PostgresTestServer.baseURL()
        let tuned = try PostgresConnection(
            configuration: PostgresConfiguration(
                url: url, statementTimeout: .milliseconds(1_500), keepalive: .init(idle: .seconds(5), interval: .seconds(2), count: 4)
            )
        )
        defer { tuned.close() }
        #expect(try tuned.queryFirst("SHOW statement_timeout")?.decode(String.self, at: 0) == "1500ms")
        #expect(try Self.keepalive(of: tuned) == KeepaliveOptions(enabled: 1, idle: 5, interval: 2, count: 4))

        let plain = try PostgresConnection(configuration: PostgresConfiguration(url: url, statementTimeout: nil, keepalive: nil))
        defer { plain.close() }
        #expect(try plain.queryFirst("SHOW statement_timeout")?.decode(String.self, at: 0) == "0")
        #expect(try Self.keepalive(of: plain).idle != 5)
    }

    @Test("invalid settings are typed errors: ConfigurationError from validate() and childSpec, DatabaseError when connecting")
    func invalidSettings() async throws {
        let url = "postgresql://troupe@127.0.0.1:1/postgres"
        let cases: [(DatabaseConfiguration, ConfigurationError)] = [
            (.sqlite(SQLiteConfiguration(path: "/tmp/never.sqlite", statementCacheCapacity: 0)), .notPositive(setting: "sqlite statement cache capacity", value: 0)),
            (.sqlite(SQLiteConfiguration(path: "/tmp/never.sqlite", busyTimeout: .milliseconds(-1))),
             .invalidDuration(setting: "sqlite busy timeout (zero or more)", value: .milliseconds(-1))),
            (.postgres(PostgresConfiguration(url: url, statementCacheCapacity: 0)), .notPositive(setting: "postgres statement cache capacity", value: 0)),
            (.postgres(PostgresConfiguration(url: url, connectTimeout: .zero)), .invalidDuration(setting: "postgres connect timeout", value: .zero)),
            (.postgres(PostgresConfiguration(url: url, statementTimeout: .zero)),
             .invalidDuration(setting: "postgres statement timeout (nil for the server's default)", value: .zero)),
            (.postgres(PostgresConfiguration(url: url, keepalive: .init(idle: .milliseconds(500)))),
             .invalidDuration(setting: "postgres keepalive idle (whole seconds, at least 1)", value: .milliseconds(500))),
            (.postgres(PostgresConfiguration(url: url, keepalive: .init(interval: .zero))),
             .invalidDuration(setting: "postgres keepalive interval (whole seconds, at least 1)", value: .zero)),
            (.postgres(PostgresConfiguration(url: url, keepalive: .init(count: 0))), .notPositive(setting: "postgres keepalive count", value: 0)),
        ]
        for (configuration, expected) in cases {
            #expect(throws: expected) { try configuration.validate() }
            #expect(throws: expected) { try DatabasePool(configuration: configuration).childSpec("db") }
            // Connecting directly: a typed DatabaseError before anything is opened (a zero
            // statement cache capacity used to trap in the cache).
            let refused = #expect(throws: DatabaseError.self) { try configuration.connect() }
            #expect(refused?.kind == .other)
            #expect(refused?.reason == "invalid configuration: \(expected)")
        }
    }

    @Test("misnumbered migrations and a row with more values than names are typed errors, not traps")
    func trapsBecameErrors() throws {
        let misnumbered = #expect(throws: DatabaseError.self) {
            try Migrator([Migration(version: 1, name: "one") { _ in [] }, Migration(version: 3, name: "three") { _ in [] }])
        }
        #expect(misnumbered?.kind == .other)
        #expect(misnumbered?.reason.contains("found 3 (three) at position 2") == true)
        #expect(try Migrator(BackendSchema.migrations).latestVersion == Migrator.backend.latestVersion)

        let row = #expect(throws: DatabaseError.self) { try Row(columnNames: ["a"], values: [.integer(1), .integer(2)]) }
        #expect(row?.kind == .other)
        #expect(try Row(columnNames: ["a"], values: [.integer(1)]).decode(Int.self, at: 0) == 1)
    }

    /// The keepalive options the kernel applies to the session's socket.
    private static func keepalive(of connection: PostgresConnection) throws -> KeepaliveOptions {
        let socket = connection.socketDescriptor
        func option(_ level: Int32, _ name: Int32) throws -> Int32 {
            var value: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(socket, level, name, &value, &length) == 0 else {
                throw HarnessError("getsockopt(\(level), \(name)): \(String(cString: strerror(errno)))")
            }
            return value
        }
        let tcp = Int32(IPPROTO_TCP)
        return KeepaliveOptions(
            enabled: try option(SOL_SOCKET, SO_KEEPALIVE),
            idle: try option(tcp, TCP_KEEPIDLE),
            interval: try option(tcp, TCP_KEEPINTVL),
            count: try option(tcp, TCP_KEEPCNT)
        )
    }
}

private struct KeepaliveOptions: Equatable {
    let enabled: Int32
    let idle: Int32
    let interval: Int32
    let count: Int32
}
