import Foundation
import Testing
import TroupeTestSupport
import Troupe
@testable import TroupeBackend
import TroupeStore
import TroupeTesting

/// Accounts through `Command.parse` + `execute`, as the front drives them: REGISTER, LOGIN,
/// AUTH, HELLO … AUTH, RESUME, LOGOUT, failed-login throttling, and the admin bootstrap.
@Suite struct AccountsTests {
    // MARK: REGISTER

    @Test func registerSucceedsOnceWhateverTheLetterCase() async throws {
        try await BackendFixture.with { fixture in
            let client = fixture.connect()
            let registered = try await client.ok("REGISTER", "alice", "password-1")
            #expect(registered == .ok)
            #expect(await client.fails("REGISTER", "alice", "password-2")?.code == .conflict)
            // Names are lower-cased on input: `Alice` is `alice`.
            #expect(await client.fails("REGISTER", "Alice", "password-2")?.code == .conflict)
            // The first password is the one that stuck.
            try await client.ok("LOGIN", "ALICE", "password-1")
            let whoami = try await client.ok("WHOAMI")
            #expect(whoami.text == "alice")
        }
    }

    @Test func registerRefusesAdminNamesBadNamesAndShortPasswords() async throws {
        try await BackendFixture.with { fixture in
            let client = fixture.connect()
            #expect(await client.fails("REGISTER", "root", "password-1")?.code == .conflict)
            #expect(await client.fails("REGISTER", "Root", "password-1")?.code == .conflict)
            #expect(await client.fails("REGISTER", "bad name", "password-1")?.code == .err)
            #expect(await client.fails("REGISTER", "bad-name", "password-1")?.code == .err)
            #expect(await client.fails("REGISTER", String(repeating: "a", count: 33), "password-1")?.code == .err)
            #expect(await client.fails("REGISTER", "carol", "1234567")?.code == .err)
            #expect(await client.fails("REGISTER", "carol", String(repeating: "p", count: 129))?.code == .err)
            // 8 bytes is the shortest password allowed, and the refused attempts left no account.
            try await client.ok("REGISTER", "carol", "12345678")
            // The admin's password is still the configured one.
            try await client.ok("AUTH", "root", BackendFixture.adminPassword)
        }
    }

    // MARK: LOGIN and AUTH

    @Test func loginReturnsADistinctURLSafeTokenEachTime() async throws {
        try await BackendFixture.with { fixture in
            let client = fixture.connect()
            try await client.ok("REGISTER", "alice", "password-1")
            let first = try await client.ok("LOGIN", "alice", "password-1")
            let second = try await client.ok("LOGIN", "alice", "password-1")
            guard case .bulk(let one) = first, case .bulk(let two) = second else {
                Issue.record("LOGIN replied \(first) and \(second), expected bulk tokens")
                return
            }
            let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
            for token in [one, two] {
                #expect(token.count == 43)
                #expect(token.allSatisfy(alphabet.contains))
            }
            #expect(one != two)
        }
    }

    @Test func wrongUserMalformedUserAndWrongPasswordGetTheSameReply() async throws {
        try await BackendFixture.with { fixture in
            let client = fixture.connect()
            try await client.ok("REGISTER", "alice", "password-1")
            let replies = [
                await client.fails("LOGIN", "nobody", "password-1"),
                await client.fails("LOGIN", "bad name!", "password-1"),
                await client.fails("LOGIN", "alice", "password-2"),
                await client.fails("AUTH", "nobody", "password-1"),
                await client.fails("AUTH", "bad name!", "password-1"),
                await client.fails("AUTH", "alice", "password-2"),
                await client.fails("HELLO", "3", "AUTH", "alice", "password-2"),
            ]
            for reply in replies {
                #expect(reply?.text == "DENIED invalid credentials")
            }
            let whoami = try await client.ok("WHOAMI")
            #expect(whoami == .null)
        }
    }

    @Test func theTokenIsStoredOnlyAsItsSHA256() async throws {
        // The digest the check relies on is SHA-256 itself (FIPS 180-2's "abc" vector).
        #expect(SHA256.digest(Array("abc".utf8)).map { String(format: "%02x", $0) }.joined()
            == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        try await BackendFixture.with { fixture in
            let client = fixture.connect()
            try await client.ok("REGISTER", "alice", "password-1")
            let reply = try await client.ok("LOGIN", "alice", "password-1")
            guard case .bulk(let token) = reply else {
                Issue.record("LOGIN replied \(reply), expected a bulk token")
                return
            }
            let rows = try await fixture.backend.services.pool.query("SELECT token_hash FROM auth_sessions", [], idempotent: true)
            let stored = try rows.map { row throws(DatabaseError) in try row.decode([UInt8].self, at: 0) }
            #expect(stored == [SHA256.digest(token)])
            #expect(stored.first != token)
            // The token's own bytes find nothing.
            let matching = try await fixture.backend.services.pool.query(
                "SELECT COUNT(*) FROM auth_sessions WHERE token_hash = $1", [.blob(token)], idempotent: true
            )
            #expect(try matching.first?.decode(Int64.self, at: 0) == 0)
        }
    }

    @Test func authRepliesOKAndLogsIn() async throws {
        try await BackendFixture.with { fixture in
            let client = fixture.connect()
            try await client.ok("REGISTER", "alice", "password-1")
            let reply = try await client.ok("AUTH", "alice", "password-1")
            #expect(reply == .ok)
            let whoami = try await client.ok("WHOAMI")
            #expect(whoami.text == "alice")
        }
    }

    @Test func helloWithAuthLogsInAndRepliesAMap() async throws {
        try await BackendFixture.with { fixture in
            let client = fixture.connect()
            try await client.ok("REGISTER", "alice", "password-1")
            let reply = try await client.ok("HELLO", "3", "AUTH", "alice", "password-1")
            #expect(reply["server"]?.text == "troupe")
            #expect(reply["version"]?.text == Backend.version)
            #expect(reply["proto"] == .integer(3))
            #expect(reply["node"]?.text == fixture.backend.configuration.nodeID)
            #expect(client.connection.protocolVersion == 3)
            let whoami = try await client.ok("WHOAMI")
            #expect(whoami.text == "alice")
            #expect(await client.fails("HELLO", "4")?.code == .noproto)
            #expect(await fixture.connect().fails("HELLO", "4", "AUTH", "alice", "password-1")?.code == .noproto)
        }
    }

    // MARK: Failed-login throttling

    @Test func fiveFailedLoginsRefuseEvenTheRightPasswordUntilTheBucketRefills() async throws {
        try await BackendFixture.with { fixture in
            let client = fixture.connect()
            try await client.ok("REGISTER", "alice", "password-1")
            try await client.ok("REGISTER", "bob", "password-1")
            for _ in 0..<5 {
                #expect(await client.fails("LOGIN", "alice", "wrong-password")?.text == "DENIED invalid credentials")
            }
            // 5 a minute: one token back every 12 s.
            #expect(await client.fails("LOGIN", "alice", "password-1")?.text
                == "BUSY too many failed logins for this user, retry after 12000 ms")
            // The refusal is not charged, and letter case does not dodge the bucket.
            #expect(await client.fails("AUTH", "ALICE", "password-1")?.text
                == "BUSY too many failed logins for this user, retry after 12000 ms")
            #expect(client.connection.user == nil)
            // Another name has its own bucket.
            try await client.ok("LOGIN", "bob", "password-1")
            fixture.clock.advance(by: .seconds(11))
            #expect(await client.fails("LOGIN", "alice", "password-1")?.text
                == "BUSY too many failed logins for this user, retry after 1000 ms")
            fixture.clock.advance(by: .seconds(1))
            try await client.ok("LOGIN", "alice", "password-1")
            let whoami = try await client.ok("WHOAMI")
            #expect(whoami.text == "alice")
        }
    }

    @Test func successfulLoginsAreNotCharged() async throws {
        try await BackendFixture.with { fixture in
            let client = fixture.connect()
            try await client.ok("REGISTER", "alice", "password-1")
            for _ in 0..<10 {
                try await client.ok("LOGIN", "alice", "password-1")
            }
            // The whole bucket is still there: five failures are answered as such, the
            // sixth attempt is refused.
            for _ in 0..<5 {
                #expect(await client.fails("LOGIN", "alice", "wrong-password")?.code == .denied)
            }
            #expect(await client.fails("LOGIN", "alice", "password-1")?.code == .busy)
        }
    }

    /// `redis-benchmark -c 50 --user U -a P`: 50 connections AUTH as one user at once. Only
    /// as many checks run at once as the bucket holds (5); the others wait their turn
    /// instead of being refused.
    @Test func fiftyConcurrentRightPasswordsForOneNameAllSucceed() async throws {
        try await BackendFixture.with { fixture in
            try await fixture.connect().ok("REGISTER", "alice", "password-1")
            let clients = (0..<50).map { _ in fixture.connect() }
            let results = await withTaskGroup(of: Result<Reply, ErrorReply>.self) { group in
                for client in clients {
                    group.addTask { await client.run("AUTH", "alice", "password-1") }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.count == 50)
            for result in results {
                #expect(result == .success(.ok))
            }
            for client in clients {
                #expect(client.connection.user?.value == "alice")
            }
            // None of them was charged: five failures are still answered as such.
            let client = fixture.connect()
            for _ in 0..<5 {
                #expect(await client.fails("LOGIN", "alice", "wrong-password")?.code == .denied)
            }
            #expect(await client.fails("LOGIN", "alice", "password-1")?.code == .busy)
        }
    }

    /// A burst of wrong passwords, all at once, cannot get more guesses checked than the
    /// bucket holds: 5 are checked (the KDF runs 5 times), the other 15 wait and are then
    /// refused, and the right password is refused until a token comes back.
    @Test func twentyConcurrentWrongPasswordsGetOnlyFiveChecked() async throws {
        try await BackendFixture.with { fixture in
            try await fixture.connect().ok("REGISTER", "alice", "password-1")
            let kdf = fixture.backend.kdf
            try await eventually("the KDF pool is idle") { kdf.metrics.running == 0 }
            let before = kdf.metrics.completed
            let clients = (0..<20).map { _ in fixture.connect() }
            let failures = await withTaskGroup(of: ErrorReply?.self) { group in
                for client in clients {
                    group.addTask { await client.fails("AUTH", "alice", "wrong-password-\(client.connection.id)") }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let denied = failures.filter { $0?.text == "DENIED invalid credentials" }.count
            let busy = failures.filter { $0?.text == "BUSY too many failed logins for this user, retry after 12000 ms" }.count
            #expect(denied == 5, "\(failures)")
            #expect(busy == 15, "\(failures)")
            #expect(kdf.metrics.completed == before + 5)
            #expect(await clients[0].fails("AUTH", "alice", "password-1")?.text
                == "BUSY too many failed logins for this user, retry after 12000 ms")
            #expect(kdf.metrics.completed == before + 5)
            fixture.clock.advance(by: .seconds(12))
            try await clients[0].ok("AUTH", "alice", "password-1")
            #expect(clients[0].connection.user?.value == "alice")
        }
    }

    /// An unknown user's password is checked against a dummy hash: the KDF runs once per
    /// login whether or not the user exists, which is what makes the time similar.
    @Test func anUnknownUsersLoginRunsTheKDF() async throws {
        try await BackendFixture.with { fixture in
            let client = fixture.connect()
            try await client.ok("REGISTER", "alice", "password-1")
            let kdf = fixture.backend.kdf
            try await eventually("the KDF pool is idle") { kdf.metrics.running == 0 }
            var expected = kdf.metrics.completed
            for user in ["nobody", "alice", "ghost", "alice"] {
                #expect(await client.fails("LOGIN", user, "wrong-password")?.text == "DENIED invalid credentials")
                expected += 1
                let target = expected
                try await eventually("\(target) KDF jobs completed") { kdf.metrics.completed >= target }
                #expect(kdf.metrics.completed == expected, "login of \(user)")
            }
        }
    }

    @Test func wrongUserAndWrongPasswordTakeSimilarTime() async throws {
        try await BackendFixture.with(configure: { configuration in
            configuration.passwordCost = 5
            configuration.failedLogins = try! TokenBucketConfiguration(capacity: 100, refill: 100, per: .seconds(60))
        }) { fixture in
            let client = fixture.connect()
            try await client.ok("REGISTER", "alice", "password-1")
            // One of each first, so neither kind pays for a cold cache.
            _ = await client.fails("LOGIN", "nobody", "password-1")
            _ = await client.fails("LOGIN", "alice", "password-2")
            var wrongUser: [Duration] = []
            var wrongPassword: [Duration] = []
            let clock = ContinuousClock()
            // Interleaved, so a change in the machine's load hits both kinds alike.
            for round in 0..<5 {
                var reply: ErrorReply?
                wrongUser.append(await clock.measure { reply = await client.fails("LOGIN", "nobody\(round)", "password-1") })
                #expect(reply?.text == "DENIED invalid credentials")
                wrongPassword.append(await clock.measure { reply = await client.fails("LOGIN", "alice", "password-\(round + 2)") })
                #expect(reply?.text == "DENIED invalid credentials")
            }
            let user = wrongUser.sorted()[2]
            let password = wrongPassword.sorted()[2]
            #expect(user * 3 > password && password * 3 > user, "median wrong user \(user), wrong password \(password)")
        }
    }

    // MARK: RESUME

    @Test func resumeBindsAnotherConnectionToTheSameUser() async throws {
        try await BackendFixture.with { fixture in
            let first = fixture.connect()
            try await first.ok("REGISTER", "alice", "password-1")
            let token = try await first.ok("LOGIN", "alice", "password-1").text ?? ""
            let second = fixture.connect()
            let resumed = try await second.ok("RESUME", token)
            #expect(resumed == .ok)
            let whoami = try await second.ok("WHOAMI")
            #expect(whoami.text == "alice")
            #expect(await fixture.connect().fails("RESUME", "not-a-token")?.text == "DENIED invalid token")
            #expect(await fixture.connect().fails("RESUME", String(repeating: "A", count: 43))?.text == "DENIED invalid token")
        }
    }

    @Test func anExpiredTokenIsRefused() async throws {
        try await BackendFixture.with(configure: { $0.tokenLifetime = .seconds(60) }) { fixture in
            let client = fixture.connect()
            try await client.ok("REGISTER", "alice", "password-1")
            let token = try await client.ok("LOGIN", "alice", "password-1").text ?? ""
            fixture.clock.advance(by: .seconds(59))
            try await fixture.connect().ok("RESUME", token)
            fixture.clock.advance(by: .seconds(1))
            #expect(await fixture.connect().fails("RESUME", token)?.text == "DENIED invalid token")
            // A new login gives a new token that lives again.
            let fresh = try await client.ok("LOGIN", "alice", "password-1").text ?? ""
            try await fixture.connect().ok("RESUME", fresh)
        }
    }

    @Test func tokensSurviveARestart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("troupe-backend-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var token = ""
        try await BackendFixture.run(directory: directory) { fixture in
            let client = fixture.connect()
            try await client.ok("REGISTER", "alice", "password-1")
            token = try await client.ok("LOGIN", "alice", "password-1").text ?? ""
        }
        try await BackendFixture.run(directory: directory) { fixture in
            let client = fixture.connect()
            try await client.ok("RESUME", token)
            let whoami = try await client.ok("WHOAMI")
            #expect(whoami.text == "alice")
            // The account survived too, and its name is still taken.
            #expect(await client.fails("REGISTER", "alice", "password-2")?.code == .conflict)
        }
    }

    // MARK: LOGOUT and rebinding

    @Test func logoutRevokesTheTokenOnEveryConnectionBoundToIt() async throws {
        try await BackendFixture.with { fixture in
            let a = try await fixture.user("alice")
            let token = try await a.ok("LOGIN", "alice", "password-1").text ?? ""
            let b = fixture.connect()
            try await b.ok("RESUME", token)
            let c = try await fixture.user("alice") // another token of the same user
            let bob = try await fixture.user("bob")
            for client in [a, b, c] { try await client.ok("JOIN", "lobby") }

            let loggedOut = try await a.ok("LOGOUT")
            #expect(loggedOut == .ok)
            for client in [a, b] {
                let whoami = try await client.ok("WHOAMI")
                #expect(whoami == .null)
                #expect(await client.fails("SAY", "lobby", "still here?")?.code == .noauth)
            }
            let stillAlice = try await c.ok("WHOAMI")
            #expect(stillAlice.text == "alice")
            #expect(await fixture.connect().fails("RESUME", token)?.text == "DENIED invalid token")

            // Their joins are gone: C, still joined, receives bob's message; A and B do not.
            let id = try await bob.integer("SAY", "lobby", "after logout")
            try await eventuallyMessage(id, in: c.sink)
            for client in [a, b] {
                #expect(!client.sink.pushes.contains { if case .message(_, id, _, _, _) = $0 { true } else { false } })
            }
        }
    }

    @Test func aSecondLoginAsTheSameUserKeepsTheJoins() async throws {
        try await BackendFixture.with { fixture in
            let alice = try await fixture.user("alice")
            let bob = try await fixture.user("bob")
            try await alice.ok("JOIN", "lobby")
            try await alice.ok("LOGIN", "alice", "password-1")
            let id = try await bob.integer("SAY", "lobby", "still joined")
            try await eventuallyMessage(id, in: alice.sink)
        }
    }

    @Test func aLoginAsAnotherUserDropsTheJoins() async throws {
        try await BackendFixture.with { fixture in
            let client = try await fixture.user("alice")
            let observer = try await fixture.user("observer")
            let dave = try await fixture.user("dave")
            try await fixture.connect().ok("REGISTER", "carol", "password-1")
            try await client.ok("JOIN", "lobby")
            try await observer.ok("JOIN", "lobby")
            try await client.ok("LOGIN", "carol", "password-1")
            let whoami = try await client.ok("WHOAMI")
            #expect(whoami.text == "carol")
            let id = try await dave.integer("SAY", "lobby", "after the switch")
            try await eventuallyMessage(id, in: observer.sink)
            #expect(!client.sink.pushes.contains { if case .message(_, id, _, _, _) = $0 { true } else { false } })
            // And the connection left alice's session.
            let connections = try await fixture.backend.sessions.ask(UserName("alice")!) { .connections($0) }
            #expect(connections == 0)
        }
    }

    // MARK: Admins

    @Test func theAdminExistsAtStartAndRunsAdminCommands() async throws {
        try await BackendFixture.with { fixture in
            let root = try await fixture.admin()
            let tree = try await root.ok("TREE")
            #expect(tree.text?.contains("/root/services/accounts") == true)
            let stats = try await root.ok("STATS")
            #expect(stats.text?.isEmpty == false)
            try await root.ok("METRICS")
            try await root.ok("WEIGHT", "message", "2")
        }
    }

    @Test func aNonAdminIsDeniedAdminCommands() async throws {
        try await BackendFixture.with(configure: { $0.faultInjection = true }) { fixture in
            let alice = try await fixture.user("alice")
            for command in [["TREE"], ["STATS"], ["METRICS"], ["WEIGHT", "message", "2"], ["CRASH", "/root/services/unlock"]] {
                let result = await alice.run(command)
                #expect(result.failure?.text == "DENIED admin only", "\(command)")
            }
        }
    }

    @Test func crashNeedsFaultInjection() async throws {
        try await BackendFixture.with { fixture in
            let root = try await fixture.admin()
            #expect(await root.fails("CRASH", "/root/services/unlock")?.code == .denied)
        }
        try await BackendFixture.with(configure: { $0.faultInjection = true }) { fixture in
            let root = try await fixture.admin()
            let crashed = try await root.ok("CRASH", "/root/services/unlock")
            #expect(crashed == .ok)
            #expect(await root.fails("CRASH", "/root/services/nothing-here")?.code == .notFound)
        }
    }
}

extension Result {
    /// The error of a failure; nil for a success.
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

/// Waits (bounded) until `sink` holds the room message `id`.
func eventuallyMessage(_ id: Int64, in sink: TestSink, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    try await pollUntil("message \(id) is pushed", sourceLocation: sourceLocation) {
        sink.pushes.contains { if case .message(_, id, _, _, _) = $0 { true } else { false } }
    }
}
