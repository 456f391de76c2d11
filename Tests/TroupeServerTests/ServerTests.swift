import Testing
import TroupeTestSupport
import TroupeBackend
import TroupeServer

/// The server over real sockets: an in-process server on an ephemeral port over a backend on
/// a temporary SQLite file, driven by plain blocking clients whose reads are bounded.
@Suite(.serialized)
struct ServerTests {
    @Test func pingInlineAndMultibulk() async throws {
        try await ServerFixture.with { fixture in
            let client = try fixture.client()
            try client.send("PING\r\n")
            #expect(try client.read() == .simple("PONG"))
            try client.send("ping\n")  // nc without -C
            #expect(try client.read() == .simple("PONG"))
            #expect(try client.command("PING", "hello world") == .bulk("hello world"))
            try client.send("PING \"a b\"\r\n")
            #expect(try client.read() == .bulk("a b"))
            #expect(try client.command("NOSUCH") == .error("ERR unknown command 'NOSUCH', with args beginning with: "))
        }
    }

    @Test(arguments: [1, 2])
    func tenThousandPipelinedPingsInOneWriteAreAnsweredInOrder(loopThreads: Int) async throws {
        try await ServerFixture.with(configure: { $0.loopThreads = loopThreads }) { fixture in
            let client = try fixture.client()
            var request = ""
            for index in 0..<10_000 { request += index % 2 == 0 ? "PING\r\n" : "*2\r\n$4\r\nPING\r\n$\(String(index).count)\r\n\(index)\r\n" }
            try client.send(request)
            for index in 0..<10_000 {
                let reply = try client.read()
                let expected: TestReply = index % 2 == 0 ? .simple("PONG") : .bulk(String(index))
                guard reply == expected else {
                    Issue.record("reply \(index) was \(reply), expected \(expected)")
                    return
                }
            }
            #expect(fixture.server.metrics.requests >= 10_000)
        }
    }

    /// On the sender's own connection, the reply to a SAY comes before the push it caused:
    /// a RESP2 client reads one reply per request and must not get the push instead.
    @Test func theReplyToASayPrecedesItsOwnPush() async throws {
        try await ServerFixture.with { fixture in
            let alice = try fixture.client()
            #expect(try alice.command("REGISTER", "alice", "password-1") == .simple("OK"))
            #expect(try alice.command("AUTH", "alice", "password-1") == .simple("OK"))
            #expect(try alice.command("JOIN", "lobby") == .simple("OK"))
            for round in 0..<30 { // within the burst of the per-user rate limit (40)
                let reply = try alice.command("SAY", "lobby", "round \(round)")
                guard case .integer(let id) = reply else {
                    Issue.record("round \(round): the SAY's reply was not its id but \(reply)")
                    return
                }
                guard case .array(let push) = try alice.read(), push.first == .bulk("message") else {
                    Issue.record("round \(round): no message push after the reply")
                    return
                }
                #expect(push[2] == .integer(id))
            }
        }
    }

    @Test(arguments: [1, 2])
    func chatOverTheWireWithPushesInRESP2AndRESP3(loopThreads: Int) async throws {
        try await ServerFixture.with(configure: { $0.loopThreads = loopThreads }) { fixture in
            let alice = try fixture.client()
            let bob = try fixture.client()
            #expect(try alice.command("REGISTER", "alice", "password-1") == .simple("OK"))
            #expect(try bob.command("REGISTER", "bob", "password-2") == .simple("OK"))
            guard case .bulk(let token) = try alice.command("LOGIN", "alice", "password-1") else {
                Issue.record("LOGIN did not answer a token")
                return
            }
            #expect(token.count >= 43)
            try bob.send("AUTH bob password-2\r\n")
            #expect(try bob.read() == .simple("OK"))
            #expect(try bob.command("JOIN", "lobby") == .simple("OK"))

            // Inline SAY keeps the text verbatim: spacing and quotes included.
            try alice.send("SAY lobby hello  \"there\"\r\n")
            guard case .integer(let id) = try alice.read() else {
                Issue.record("SAY did not answer an id")
                return
            }
            guard case .array(let push) = try bob.read(), push.count == 6 else {
                Issue.record("bob got no RESP2 message push")
                return
            }
            #expect(Array(push[0..<5]) == [.bulk("message"), .bulk("lobby"), .integer(id), .bulk("alice"), .bulk("hello  \"there\"")])

            guard case .map(let hello) = try bob.command("HELLO", "3") else {
                Issue.record("HELLO 3 did not answer a map")
                return
            }
            #expect(hello.contains(.bulk("proto")) && hello.contains(.integer(3)))
            #expect(try alice.command("SAY", "lobby", "second") != .null)
            guard case .push(let second) = try bob.read() else {
                Issue.record("bob got no RESP3 push after HELLO 3")
                return
            }
            #expect(second.first == .bulk("message") && second.contains(.bulk("second")))
            // RESP3 null for an anonymous WHOAMI.
            let anonymous = try fixture.client()
            #expect(try anonymous.command("HELLO", "3") != .null)
            try anonymous.send("WHOAMI\r\n")
            #expect(try anonymous.read() == .null)
        }
    }

    @Test func requestsDeliveredOneByteAtATimeAreAnswered() async throws {
        try await ServerFixture.with { fixture in
            let client = try fixture.client()
            for byte in Array("*2\r\n$4\r\nPING\r\n$3\r\nabc\r\nPING\r\n".utf8) {
                try client.send([byte])
            }
            #expect(try client.read() == .bulk("abc"))
            #expect(try client.read() == .simple("PONG"))
        }
    }

    @Test func aSlowRequestFollowedByPingsKeepsRequestOrder() async throws {
        try await ServerFixture.with { fixture in
            let client = try fixture.client()
            // REGISTER and LOGIN run password hashes on the KDF threads; the PINGs between and
            // after them are answered on the loop at once, yet must wait their turn.
            try client.send(
                "PING first\r\nREGISTER carol password-3\r\nPING second\r\nLOGIN carol password-3\r\nPING third\r\nWHOAMI\r\n"
            )
            #expect(try client.read() == .bulk("first"))
            #expect(try client.read() == .simple("OK"))
            #expect(try client.read() == .bulk("second"))
            guard case .bulk(let token) = try client.read() else {
                Issue.record("LOGIN's token was not the fourth reply")
                return
            }
            #expect(token.count >= 43)
            #expect(try client.read() == .bulk("third"))
            #expect(try client.read() == .bulk("carol"))
        }
    }

    @Test func halfCloseStillGetsEveryReplyOwed() async throws {
        try await ServerFixture.with { fixture in
            let client = try fixture.client()
            try client.send("PING\r\nREGISTER dave password-4\r\nLOGIN dave password-4\r\nPING done\r\n")
            client.shutdownWrite()
            #expect(try client.read() == .simple("PONG"))
            #expect(try client.read() == .simple("OK"))
            guard case .bulk = try client.read() else {
                Issue.record("LOGIN's token missing after half-close")
                return
            }
            #expect(try client.read() == .bulk("done"))
            #expect(try client.isClosedByServer())
        }
    }

    @Test func aProtocolErrorClosesTheConnectionAfterItsReplyAndOthersAreServed() async throws {
        try await ServerFixture.with { fixture in
            let bad = try fixture.client()
            let good = try fixture.client()
            try bad.send("PING\r\n*1\r\n$x\r\nPING\r\n")
            #expect(try bad.read() == .simple("PONG"))
            guard case .error(let text) = try bad.read() else {
                Issue.record("no error reply for a bad bulk length")
                return
            }
            #expect(text.hasPrefix("ERR Protocol error") || text.hasPrefix("ERR protocol error"))
            #expect(try bad.isClosedByServer())
            #expect(try good.command("PING") == .simple("PONG"))

            let quitter = try fixture.client()
            try quitter.send("QUIT\r\nPING\r\n")
            #expect(try quitter.read() == .simple("OK"))
            #expect(try quitter.isClosedByServer())
        }
    }

    @Test func theConnectionOverTheLimitGetsBusyAndIsClosed() async throws {
        try await ServerFixture.with(configure: { $0.maxConnections = 2 }) { fixture in
            let first = try fixture.client()
            let second = try fixture.client()
            #expect(try first.command("PING") == .simple("PONG"))
            #expect(try second.command("PING") == .simple("PONG"))
            let third = try fixture.client()
            #expect(try third.read() == .error("BUSY too many connections"))
            #expect(try third.isClosedByServer())
            #expect(fixture.server.metrics.connectionsRefused == 1)
            #expect(try first.command("PING") == .simple("PONG"))
        }
    }

    /// Also when the request line arrives in pieces (the first shorter than `GET /metrics`).
    @Test(arguments: [["GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n"], ["G", "ET /met", "rics HTTP/1.1\r\n\r\n"]])
    func httpGetMetricsIsAnsweredOnTheSamePort(pieces: [String]) async throws {
        try await ServerFixture.with { fixture in
            let client = try fixture.client()
            // Each piece is read before the next is sent: the server counts the bytes it read.
            var sent = fixture.server.metrics.bytesIn
            for piece in pieces {
                try client.send(piece)
                sent += piece.utf8.count
                try await pollUntil("the server read \(sent) bytes") { fixture.server.metrics.bytesIn >= sent }
            }
            let response = try client.readToEnd()
            let parts = response.split(separator: "\r\n\r\n", maxSplits: 1, omittingEmptySubsequences: false)
            #expect(parts.count == 2)
            let head = parts.first.map(String.init) ?? ""
            let body = parts.count == 2 ? String(parts[1]) : ""
            #expect(head.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(head.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8"))
            #expect(head.contains("Content-Length: \(body.utf8.count)"))
            #expect(body.contains("troupe_front_connections_open 1\n"), "the front's counters are in the exposition")
        }
    }

    /// A first line that only begins like `GET /metrics` is a protocol request after all.
    @Test func aRequestThatBeginsLikeHTTPButIsNotIsParsedAsUsual() async throws {
        try await ServerFixture.with { fixture in
            let client = try fixture.client()
            try client.send("GET /m")
            try await pollUntil("the server read the first piece") { fixture.server.metrics.bytesIn >= 6 }
            try client.send("x\r\nPING\r\n")
            let reply = try client.read()
            #expect(reply == .error("ERR unknown command 'GET', with args beginning with: '/mx' "), "\(reply)")
            #expect(try client.read() == .simple("PONG"))
        }
    }

    /// `::` takes IPv6 and (Linux's default) IPv4 clients; `::1` IPv6 ones.
    @Test(arguments: [("::1", ["::1"]), ("::", ["::1", "127.0.0.1"])])
    func listensOnIPv6(host: String, clients: [String]) async throws {
        try await ServerFixture.with(configure: { $0.host = host }) { fixture in
            for address in clients {
                let client = try TestClient(port: fixture.port, host: address)
                #expect(try client.command("PING") == .simple("PONG"), "from \(address)")
            }
        }
    }

    @Test func statsIncludesTheFrontsCounters() async throws {
        try await ServerFixture.with(configureBackend: {
            $0.admins = [UserName("root")!]
            $0.adminPassword = "root password"
        }) { fixture in
            let client = try fixture.client()
            #expect(try client.command("AUTH", "root", "root password") == .simple("OK"))
            guard case .bulk(let stats) = try client.command("STATS") else {
                Issue.record("STATS is not a bulk")
                return
            }
            #expect(stats.contains("front_connections_open 1\n"))
            #expect(stats.contains("front_connections_accepted 1\n"))
            #expect(stats.contains("front_pushes_dropped 0\n"))
        }
    }

    @Test func shutdownAnswersEveryRequestTakenAndClosesConnections() async throws {
        try await ServerFixture.with { fixture in
            let client = try fixture.client()
            #expect(try client.command("PING") == .simple("PONG"))
            await fixture.server.shutdown(deadline: .seconds(2))
            #expect(try client.isClosedByServer())
            #expect(throws: TestClientError.self) { _ = try fixture.client() }
        }
    }
}

@Suite struct AllocatorPolicyTests {
    @Test func theOperatorsTunableWinsOverThePolicy() {
        #expect(!AllocatorPolicy.apply(environment: ["GLIBC_TUNABLES": "glibc.malloc.trim_threshold=131072"]))
        #expect(AllocatorPolicy.apply(environment: [:]))
        #expect(AllocatorPolicy.apply(environment: ["GLIBC_TUNABLES": "glibc.malloc.arena_max=2"]))
    }
}
