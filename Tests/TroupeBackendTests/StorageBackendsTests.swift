import Testing
import Troupe
import TroupeBackend
import TroupeStore

/// The backend on both databases: every kind of acknowledged write, then a restart on the
/// same database finds all of it.
@Suite struct StorageBackendsTests {
    @Test(arguments: FixtureDatabase.allCases)
    func everyAcknowledgedWriteSurvivesARestart(_ kind: FixtureDatabase) async throws {
        let tree = try ProgressionTree.parse("""
            camp "The Camp" costs=3,5
            forge "The Forge" costs=4 requires=camp
            """)
        let configure: (inout BackendConfiguration) -> Void = { $0.tree = tree }
        try await BackendFixture.withDatabase(kind) { database in
            var token = ""
            var said: Int64 = 0
            var direct: Int64 = 0
            try await BackendFixture.run(database: database, configure: configure) { fixture in
                let root = try await fixture.admin()
                try await root.ok("WEIGHT", "cheer", "2")
                let alice = try await fixture.user("alice")
                let bob = try await fixture.user("bob")
                token = try await alice.ok("LOGIN", "alice", "password-1").text ?? ""
                said = try await alice.integer("SAY", "lobby", "hello")
                direct = try await alice.integer("DM", "bob", "psst")
                let dms = try await bob.ok("DMS", "alice")
                #expect(dms.elements.count == 1)
                // 2 points of 3: the target is camp level 1, not yet unlocked.
                #expect(try await alice.integer("ENGAGE", "cheer") == 2)
            }
            try await BackendFixture.run(database: database, configure: configure) { fixture in
                let again = fixture.connect()
                try await again.ok("RESUME", token)
                let whoami = try await again.ok("WHOAMI")
                #expect(whoami.text == "alice")
                let history = try await again.ok("HISTORY", "lobby")
                #expect(history.elements.map { $0.elements.first } == [.integer(said)])
                let dms = try await again.ok("DMS", "bob")
                #expect(dms.elements.map { $0.elements.first } == [.integer(direct)])
                let progress = try await again.ok("PROGRESS")
                #expect(progress["node"]?.text == "camp")
                // The ENGAGE's 2 points, plus SAY's and DM's message credits (weight 0 here).
                #expect(progress["progress"] == .integer(2))
                #expect(progress["mine"] == .integer(2))
                // One more point crosses the cost: camp 1 unlocks once, voting opens.
                #expect(try await again.integer("ENGAGE", "cheer") == 2)
                let unlocks = try await again.ok("UNLOCKS")
                #expect(unlocks.elements.count == 1)
            }
        }
    }
}
