import Testing
import Troupe
@testable import TroupeBackend
import TroupeTesting

/// The per-user session actors: which connections they hold, and when they may go.
@Suite struct SessionsTests {
    @Test func aDisconnectRemovesTheConnectionFromItsSession() async throws {
        try await BackendFixture.with { fixture in
            let alice = UserName("alice")!
            let first = try await fixture.user("alice")
            let second = try await fixture.user("alice")
            let bob = try await fixture.user("bob")
            for client in [first, second] { try await client.ok("JOIN", "lobby") }
            let both = try await fixture.backend.sessions.ask(alice) { .connections($0) }
            #expect(both == 2)

            await first.disconnect()
            let one = try await fixture.backend.sessions.ask(alice) { .connections($0) }
            #expect(one == 1)
            #expect(fixture.backend.connectionCount == 2)

            // The closed connection gets neither the room's messages nor the user's DMs.
            let said = try await bob.integer("SAY", "lobby", "after the disconnect")
            let sent = try await bob.integer("DM", "alice", "after the disconnect")
            try await eventuallyMessage(said, in: second.sink)
            try await eventuallyPushes(second.sink, count: 2)
            #expect(second.sink.pushes.contains { if case .dm(_, _, sent, _, _) = $0 { true } else { false } })
            #expect(first.sink.pushes.isEmpty)

            await second.disconnect()
            let none = try await fixture.backend.sessions.ask(alice) { .connections($0) }
            #expect(none == 0)
        }
    }

    @Test func aUserWithNoConnectionIsPassivatedWhenIdle() async throws {
        try await BackendFixture.with(configure: Self.shortIdle) { fixture in
            let sessions = fixture.backend.sessions
            let alice = try await fixture.user("alice")
            #expect(sessions.metrics.live == 1)
            #expect(sessions.metrics.pinned == 1)
            await alice.disconnect()
            #expect(sessions.metrics.pinned == 0)

            fixture.clock.advance(by: Self.idle - .seconds(1))
            #expect(sessions.metrics.passivated == 0)
            fixture.clock.advance(by: .seconds(2))
            #expect(sessions.metrics.passivated == 1)
            try await eventually("alice's session stopped") { sessions.metrics.live == 0 }
        }
    }

    @Test func aUserWithALiveConnectionIsNeverPassivated() async throws {
        try await BackendFixture.with(configure: Self.shortIdle) { fixture in
            let sessions = fixture.backend.sessions
            let alice = try await fixture.user("alice")
            // Bob's session goes idle alongside: it shows that the sweeps do run.
            await (try await fixture.user("bob")).disconnect()
            #expect(sessions.metrics.live == 2)

            for round in 1...10 {
                fixture.clock.advance(by: Self.idle + .seconds(1))
                // Sweeps run inside `advance`, and count what they retire there.
                #expect(sessions.metrics.passivated == 1, "round \(round)")
                #expect(sessions.metrics.pinned == 1, "round \(round)")
            }
            try await eventually("bob's session stopped") { sessions.metrics.live <= 1 }

            // Alice's session is the same incarnation: it still holds her connection, and
            // her connection is still logged in and receives her DMs.
            let connections = try await sessions.ask(UserName("alice")!) { .connections($0) }
            #expect(connections == 1)
            let whoami = try await alice.ok("WHOAMI")
            #expect(whoami.text == "alice")
            let bob = try await fixture.user("bob")
            _ = try await bob.integer("DM", "alice", "still there?")
            try await eventuallyPushes(alice.sink, count: 1)
            #expect(alice.sink.pushes.first?.kind == "dm")
        }
    }

    static let idle: Duration = .seconds(30)

    /// A short idle timeout, and health probes rare enough that advancing the clock by many
    /// idle timeouts does not start hundreds of them.
    @Sendable static func shortIdle(_ configuration: inout BackendConfiguration) {
        configuration.sessionIdleTimeout = idle
        configuration.healthInterval = .seconds(600)
    }
}

extension SessionsTests {
    /// A connection's joins are bounded: one more than the limit is TOOLARGE, a repeated JOIN
    /// of a joined room is not counted, and a LEAVE makes room again.
    @Test func joinsPerConnectionAreBounded() async throws {
        try await BackendFixture.with(configure: { $0.maxRoomsPerConnection = 3 }) { fixture in
            let alice = try await fixture.user("alice")
            for room in ["a", "b", "c"] { try await alice.ok("JOIN", room) }
            try await alice.ok("JOIN", "a")
            let refused = await alice.fails("JOIN", "d")
            #expect(refused?.text == "TOOLARGE a connection may join at most 3 rooms")
            try await alice.ok("LEAVE", "b")
            try await alice.ok("JOIN", "d")
        }
    }
}

extension SessionsTests {
    /// A RESUME that read its token before a LOGOUT deleted it, but reaches the session
    /// after the revocation, is refused: the LOGOUT wins and the connection stays anonymous.
    @Test func anAttachAfterItsTokensRevocationIsRefused() async throws {
        try await BackendFixture.with { fixture in
            let alice = try await fixture.user("alice")
            let token = try await alice.ok("LOGIN", "alice", "password-1").text ?? ""
            guard let login = alice.connection.login else { throw ErrorReply.noauth }
            try await alice.ok("LOGOUT")
            // The late RESUME: its binding happened, its attach arrives after the revoke.
            let late = fixture.connect()
            _ = late.connection.bind(BackendConnection.Login(
                user: login.user, userID: login.userID, isAdmin: false, tokenHash: SessionToken.hash(of: Array(token.utf8))
            ))
            await #expect(throws: AskError.self) {
                try await fixture.backend.sessions.ask(login.user) { .attach(late.connection, $0) }
            }
            #expect(late.connection.user == nil)
        }
    }
}
