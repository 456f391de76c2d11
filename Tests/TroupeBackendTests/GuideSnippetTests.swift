import Troupe
import TroupeBackend

// The Swift snippet of Documentation/Backend.md, compiled here so that it cannot rot
// (TroupeTests' GuideSnippetTests checks that its lines are the guide's). It is not run:
// `BackendConfiguration()` keeps its database at ./troupe.db, in whatever directory the
// tests run from. The backend's tests make the same calls against a temporary database
// (BackendFixture).

/// Backend.md, the opening example.
enum GuideBackend {
    static func snippet(outbound: some PushSink, arguments: [ArraySlice<UInt8>]) async throws -> Reply {
        var configuration = BackendConfiguration()          // SQLite at ./troupe.db, PROTOCOL.md's limits
        configuration.admins = [UserName("root")!]
        let backend = try await Backend.start(configuration)

        let connection = backend.connect(pushes: outbound)  // outbound: the front's bounded PushSink
        let command = try Command.parse(arguments)          // [ArraySlice<UInt8>] from the wire
        let reply = try await backend.execute(command, on: connection)   // Reply, or throws ErrorReply
        await backend.disconnect(connection)
        await backend.shutdown(deadline: .seconds(10))
        return reply
    }
}
