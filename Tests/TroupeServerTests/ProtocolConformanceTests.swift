import Testing
import TroupeBackend
import TroupeServer
import TroupeTestSupport

/// Every command of PROTOCOL.md over a real socket, in both framings (inline, multibulk) and
/// both reply protocols (RESP2, RESP3): its reply, and the error code of each way it can be
/// refused that a client can provoke at will.
@Suite(.serialized)
struct ProtocolConformanceTests {
    enum Framing: String, CaseIterable, Sendable { case inline, multibulk }

    /// A client that sends each request in one framing and compares what comes back.
    struct Speaker {
        let client: TestClient
        let framing: Framing

        func send(_ arguments: [String]) throws {
            switch framing {
            case .inline:
                try client.send(arguments.joined(separator: " ") + "\r\n")
            case .multibulk:
                var request = "*\(arguments.count)\r\n"
                for argument in arguments { request += "$\(argument.utf8.count)\r\n\(argument)\r\n" }
                try client.send(request)
            }
        }

        @discardableResult
        func expect(_ arguments: String..., reply expected: TestReply, sourceLocation: SourceLocation = #_sourceLocation) throws -> TestReply {
            try send(arguments)
            let reply = try client.read()
            #expect(reply == expected, "\(arguments.joined(separator: " "))", sourceLocation: sourceLocation)
            return reply
        }

        /// Expects an error reply whose first word is `code` (and, if given, the exact text).
        func expectError(_ arguments: String..., code: String, text: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws {
            try send(arguments)
            let reply = try client.read()
            guard case .error(let message) = reply else {
                Issue.record("\(arguments.joined(separator: " ")): expected -\(code), got \(reply)", sourceLocation: sourceLocation)
                return
            }
            #expect(message.split(separator: " ").first.map(String.init) == code, "\(arguments.joined(separator: " ")): \(message)", sourceLocation: sourceLocation)
            if let text { #expect(message == text, sourceLocation: sourceLocation) }
        }

        func read() throws -> TestReply { try client.read() }

        /// Sends one request and returns its reply, whatever it is.
        func request(_ arguments: String...) throws -> TestReply {
            try send(arguments)
            return try client.read()
        }
    }

    static let password = "password1"

    @Test(arguments: Framing.allCases, [2, 3])
    func everyCommandAndErrorCode(framing: Framing, version: Int) async throws {
        try await ServerFixture.with(configureBackend: {
            $0.admins = [UserName("root")!]
            $0.adminPassword = "rootpassword"
        }) { fixture in
            let alice = Speaker(client: try fixture.client(), framing: framing)
            let resp3 = version == 3
            let null: TestReply = .null

            // Anonymous commands.
            if resp3 {
                try alice.expect("HELLO", "3", reply: .map([
                    .bulk("server"), .bulk("troupe"), .bulk("version"), .bulk(Backend.version),
                    .bulk("proto"), .integer(3), .bulk("node"), .bulk(fixture.backend.configuration.nodeID),
                ]))
            } else {
                try alice.expect("HELLO", reply: .array([
                    .bulk("server"), .bulk("troupe"), .bulk("version"), .bulk(Backend.version),
                    .bulk("proto"), .integer(2), .bulk("node"), .bulk(fixture.backend.configuration.nodeID),
                ]))
            }
            try alice.expectError("HELLO", "4", code: "NOPROTO")
            try alice.expect("PING", reply: .simple("PONG"))
            try alice.expect("PING", "hi", reply: .bulk("hi"))
            try alice.expect("HEALTH", reply: .simple("OK"))
            try alice.expect("WHOAMI", reply: null)
            try alice.expectError("NOSUCH", code: "ERR")
            try alice.expectError("PING", "a", "b", code: "ERR", text: "ERR wrong number of arguments for 'ping' command")

            // Every other command needs a login; arity is checked before that, as in Redis.
            for command in [["SAY", "lobby", "hi"], ["JOIN", "lobby"], ["PROGRESS"], ["STATS"], ["LOGOUT"], ["DMS", "bob"]] {
                try alice.send(command)
                guard case .error(let message) = try alice.read() else {
                    Issue.record("\(command) while anonymous was not refused")
                    continue
                }
                #expect(message.hasPrefix("NOAUTH"), "\(command): \(message)")
            }
            try alice.expectError("JOIN", code: "ERR")

            // Accounts.
            try alice.expect("REGISTER", "alice", Self.password, reply: .simple("OK"))
            try alice.expectError("REGISTER", "alice", Self.password, code: "CONFLICT")
            try alice.expectError("REGISTER", "root", Self.password, code: "CONFLICT")
            try alice.expectError("REGISTER", "no-dashes", Self.password, code: "ERR")
            try alice.expectError("REGISTER", "carol", "short", code: "ERR")
            try alice.expect("REGISTER", "bob", Self.password, reply: .simple("OK"))
            try alice.expectError("LOGIN", "alice", "wrong-password", code: "DENIED", text: "DENIED invalid credentials")
            try alice.expectError("LOGIN", "nobody", Self.password, code: "DENIED", text: "DENIED invalid credentials")
            try alice.expectError("LOGIN", "Not!A!Name", Self.password, code: "DENIED", text: "DENIED invalid credentials")
            guard case .bulk(let token) = try alice.request("LOGIN", "alice", Self.password), token.utf8.count >= 43 else {
                Issue.record("LOGIN gave no token of 43 characters or more")
                return
            }
            try alice.expect("WHOAMI", reply: .bulk("alice"))
            try alice.expect("AUTH", "alice", Self.password, reply: .simple("OK"))
            try alice.expectError("RESUME", "not-a-token", code: "DENIED", text: "DENIED invalid token")
            try alice.expect("RESUME", token, reply: .simple("OK"))

            // Rooms: the reply to a SAY comes before the push it causes on its own connection.
            try alice.expect("JOIN", "lobby", reply: .simple("OK"))
            try alice.expectError("JOIN", "Bad Room!", code: "ERR")
            guard case .integer(let id) = try alice.request("SAY", "lobby", "hello") else {
                Issue.record("SAY gave no id")
                return
            }
            let push = try alice.read()
            let pushed: [TestReply]
            switch push {
            case .push(let elements) where resp3: pushed = elements
            case .array(let elements) where !resp3: pushed = elements
            default:
                Issue.record("expected a message push, got \(push)")
                return
            }
            #expect(pushed.count == 6 && pushed[0] == .bulk("message") && pushed[1] == .bulk("lobby") && pushed[2] == .integer(id)
                && pushed[3] == .bulk("alice") && pushed[4] == .bulk("hello"), "\(pushed)")
            guard case .array(let history) = try alice.request("HISTORY", "lobby"), history.count == 1,
                  case .array(let message) = history[0], message.count == 5 else {
                Issue.record("HISTORY lobby is not one message")
                return
            }
            #expect(Array(message[0..<4]) == [.integer(id), .bulk("lobby"), .bulk("alice"), .bulk("hello")])
            try alice.expect("HISTORY", "lobby", "0", reply: .array([]))
            try alice.expectError("HISTORY", "lobby", "-1", code: "ERR")
            try alice.expect("LEAVE", "lobby", reply: .simple("OK"))
            try alice.expect("LEAVE", "lobby", reply: .simple("OK"))

            // Direct messages: the sender's own connection gets the push too.
            try alice.expectError("DM", "nobody", "hi", code: "NOTFOUND")
            guard case .integer(let dmID) = try alice.request("DM", "bob", "psst") else {
                Issue.record("DM gave no id")
                return
            }
            let dmPush = try alice.read()
            switch dmPush {
            case .push(let elements) where resp3: #expect(elements.first == .bulk("dm") && elements.count == 6)
            case .array(let elements) where !resp3: #expect(elements.first == .bulk("dm") && elements.count == 6)
            default: Issue.record("expected a dm push, got \(dmPush)")
            }
            guard case .array(let conversation) = try alice.request("DMS", "bob"), conversation.count == 1,
                  case .array(let dm) = conversation[0] else {
                Issue.record("DMS bob is not one message")
                return
            }
            #expect(Array(dm[0..<4]) == [.integer(dmID), .bulk("alice"), .bulk("bob"), .bulk("psst")])
            try alice.expectError("DMS", "nobody", code: "NOTFOUND")

            // Engagement and progression.
            try alice.expect("ENGAGE", "like", reply: .integer(0))
            let progress = try alice.request("PROGRESS")
            switch progress {
            case .map(let pairs) where resp3:
                #expect(pairs.count == 12 && pairs[0] == .bulk("node") && pairs[10] == .bulk("voting"), "\(pairs)")
            case .array(let values) where !resp3:
                #expect(values.count == 12 && values[0] == .bulk("node") && values[10] == .bulk("voting") && values[11] == .integer(0), "\(values)")
            default:
                Issue.record("PROGRESS gave \(progress)")
            }
            try alice.expect("UNLOCKS", reply: .array([]))
            try alice.expectError("VOTE", "root-node", code: "DENIED", text: "DENIED no voting session")

            // Admin commands: refused to a user, answered to an admin.
            for command in [["STATS"], ["METRICS"], ["TREE"], ["WEIGHT", "like", "5"], ["CRASH", "/root"]] {
                try alice.send(command)
                guard case .error(let message) = try alice.read() else {
                    Issue.record("\(command) was not refused to a user")
                    continue
                }
                #expect(message.hasPrefix("DENIED"), "\(command): \(message)")
            }
            let root = Speaker(client: try fixture.client(), framing: framing)
            if resp3 { _ = try root.request("HELLO", "3") }
            try root.expect("AUTH", "root", "rootpassword", reply: .simple("OK"))
            for command in ["STATS", "METRICS", "TREE"] {
                guard case .bulk(let text) = try root.request(command), !text.isEmpty else {
                    Issue.record("\(command) is not a non-empty bulk")
                    continue
                }
            }
            try root.expect("WEIGHT", "like", "5", reply: .simple("OK"))
            try root.expectError("WEIGHT", "like", "-1", code: "ERR")
            try root.expectError("CRASH", "/root/services", code: "DENIED")
            try alice.expect("ENGAGE", "like", reply: .integer(5))

            // Sessions end.
            try alice.expect("LOGOUT", reply: .simple("OK"))
            try alice.expect("WHOAMI", reply: null)
            try alice.expectError("RESUME", token, code: "DENIED", text: "DENIED invalid token")
            try alice.expect("QUIT", reply: .simple("OK"))
            #expect(try alice.client.isClosedByServer())
        }
    }
}
