import Foundation
import Troupe
import TroupeBackend
import TroupeServer
import TroupeStore
import TroupeTesting

/// A backend on a fresh SQLite file in a temporary directory with a server over it on an
/// ephemeral port; both shut down and the directory removed afterwards, whatever the test does.
struct ServerFixture: Sendable {
    let backend: Backend
    let server: Server
    /// The backend's clock, which the server's idle sweep reads too.
    let clock: ManualClock

    var port: Int { server.port }

    static func with(
        configure: (inout ServerConfiguration) -> Void = { _ in },
        configureBackend: (inout BackendConfiguration) -> Void = { _ in },
        _ body: (ServerFixture) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("troupe-server-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = SQLiteConfiguration(path: directory + "/troupe.db")
        var backendConfiguration = BackendConfiguration()
        backendConfiguration.database = .sqlite(database)
        backendConfiguration.passwordCost = 1
        backendConfiguration.kdfThreads = 2
        backendConfiguration.logLevel = .error
        // As the backend's own fixture: a manual clock, so no timer of the backend (health
        // probes, idle expiries) runs behind the test's back. The server's loops use the
        // monotonic clock for their own idle sweep.
        let clock = ManualClock()
        backendConfiguration.clock = clock
        backendConfiguration.wallClock = .following(clock, from: 1_700_000_000_000)
        configureBackend(&backendConfiguration)
        let backend = try await Backend.start(backendConfiguration)
        var configuration = ServerConfiguration()
        configuration.port = 0
        configure(&configuration)
        let server: Server
        do {
            server = try await Server.start(configuration, backend: backend)
        } catch {
            await backend.shutdown(deadline: .seconds(1))
            throw error
        }
        let fixture = ServerFixture(backend: backend, server: server, clock: clock)
        do {
            try await body(fixture)
        } catch {
            await server.shutdown(deadline: .seconds(1))
            await backend.shutdown(deadline: .seconds(1))
            throw error
        }
        await server.shutdown(deadline: .seconds(1))
        await backend.shutdown(deadline: .seconds(1))
    }

    func client() throws -> TestClient {
        try TestClient(port: port)
    }
}
