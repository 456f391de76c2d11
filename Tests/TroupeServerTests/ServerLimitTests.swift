import Glibc
import Testing
import TroupeTestSupport
import Troupe
import TroupeServer
import TroupeWire

/// Every bound of PROTOCOL.md's "Limits" table at N and at N + 1 over a real socket, bad
/// RESP lengths and binary garbage, and many connections at once. Each bad input must get its
/// error, its connection closed after the reply, and leave the server serving everyone else.
@Suite(.serialized)
struct ServerLimitTests {
    /// Small limits, so that N and N + 1 are cheap to send.
    static let limits = WireLimits(maxInlineLineBytes: 64, maxBulkBytes: 128, maxMultibulkCount: 8)

    private static func withSmallLimits(_ body: (ServerFixture) async throws -> Void) async throws {
        try await ServerFixture.with(configure: { $0.wire = limits }, body)
    }

    /// Reads one reply that must be `expected`, then the end of the stream: the connection
    /// was closed after the reply. Then a new connection must still get `+PONG`.
    private static func expectErrorThenClose(
        _ client: TestClient, _ expected: String, _ fixture: ServerFixture,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        #expect(try client.read() == .error(expected), sourceLocation: sourceLocation)
        #expect(try client.isClosedByServer(), sourceLocation: sourceLocation)
        #expect(try fixture.client().command("PING") == .simple("PONG"), sourceLocation: sourceLocation)
    }

    /// A multibulk request of these arguments, byte-exact.
    private static func multibulk(_ arguments: [String]) -> String {
        var request = "*\(arguments.count)\r\n"
        for argument in arguments { request += "$\(argument.utf8.count)\r\n\(argument)\r\n" }
        return request
    }

    // MARK: inline line length

    @Test func anInlineLineOfExactlyTheLimitIsAnswered() async throws {
        try await Self.withSmallLimits { fixture in
            let client = try fixture.client()
            let argument = String(repeating: "a", count: 64 - "PING ".utf8.count)
            let line = "PING " + argument
            #expect(line.utf8.count == 64)
            try client.send(line + "\r\n")
            #expect(try client.read() == .bulk(argument))
            // With a bare `\n` terminator (nc without -C) the limit is the same.
            try client.send(line + "\n")
            #expect(try client.read() == .bulk(argument))
            #expect(try client.command("PING") == .simple("PONG"))
        }
    }

    /// The line at the limit, its `\r` and its `\n` sent apart: whatever the reads see, a
    /// `\r` right after 64 bytes may still start the terminator and must not be taken as byte 65.
    @Test func anInlineLineOfExactlyTheLimitSentInPiecesIsAnswered() async throws {
        try await Self.withSmallLimits { fixture in
            let client = try fixture.client()
            let argument = String(repeating: "b", count: 64 - "PING ".utf8.count)
            try client.send("PING " + argument)
            try client.send("\r")
            try client.send("\n")
            #expect(try client.read() == .bulk(argument))
        }
    }

    @Test func anInlineLineOneOverTheLimitGetsTooLargeAndIsClosed() async throws {
        try await Self.withSmallLimits { fixture in
            let client = try fixture.client()
            let line = "PING " + String(repeating: "a", count: 65 - "PING ".utf8.count)
            #expect(line.utf8.count == 65)
            try client.send(line + "\r\n")
            try Self.expectErrorThenClose(client, "TOOLARGE line exceeds 64 bytes", fixture)
        }
    }

    /// Without any terminator: the server must not wait for one past the limit.
    @Test func anUnterminatedInlineLineOverTheLimitGetsTooLargeAndIsClosed() async throws {
        try await Self.withSmallLimits { fixture in
            let client = try fixture.client()
            try client.send(String(repeating: "x", count: 66))
            try Self.expectErrorThenClose(client, "TOOLARGE line exceeds 64 bytes", fixture)
        }
    }

    // MARK: bulk length

    @Test func aBulkOfExactlyTheLimitIsAccepted() async throws {
        try await Self.withSmallLimits { fixture in
            let client = try fixture.client()
            let payload = String(repeating: "z", count: 128)
            #expect(try client.command("PING", payload) == .bulk(payload))
            #expect(try client.command("PING") == .simple("PONG"))
        }
    }

    @Test func aBulkOneOverTheLimitGetsTooLargeAndIsClosed() async throws {
        try await Self.withSmallLimits { fixture in
            let client = try fixture.client()
            try client.send(Self.multibulk(["PING", String(repeating: "z", count: 129)]))
            try Self.expectErrorThenClose(client, "TOOLARGE bulk length exceeds 128 bytes", fixture)
        }
    }

    /// The header alone is enough to refuse: the server must not wait for 129 bytes of data.
    @Test func aBulkHeaderOneOverTheLimitIsRefusedBeforeItsData() async throws {
        try await Self.withSmallLimits { fixture in
            let client = try fixture.client()
            try client.send("*2\r\n$4\r\nPING\r\n$129\r\n")
            try Self.expectErrorThenClose(client, "TOOLARGE bulk length exceeds 128 bytes", fixture)
        }
    }

    // MARK: multibulk count

    /// No command takes 8 arguments, so an unknown one: its `-ERR unknown command` shows the
    /// parser took the whole request (a parser refusal would be `-TOOLARGE` and a close).
    @Test func exactlyTheLimitOfArgumentsIsAccepted() async throws {
        try await Self.withSmallLimits { fixture in
            let client = try fixture.client()
            // Every argument at the bulk limit too: the largest request the limits allow.
            let arguments = ["NOSUCH"] + (1..<8).map { String(repeating: String($0), count: 128) }
            try client.send(Self.multibulk(arguments))
            guard case .error(let text) = try client.read() else {
                Issue.record("no error reply for an unknown command of 8 arguments")
                return
            }
            #expect(text.hasPrefix("ERR unknown command 'NOSUCH'"))
            #expect(try client.command("PING") == .simple("PONG"))
        }
    }

    @Test func oneArgumentOverTheLimitGetsTooLargeAndIsClosed() async throws {
        try await Self.withSmallLimits { fixture in
            let client = try fixture.client()
            try client.send(Self.multibulk(["NOSUCH"] + (1..<9).map(String.init)))
            try Self.expectErrorThenClose(client, "TOOLARGE multibulk count exceeds 8", fixture)
        }
    }

    // MARK: bad lengths and garbage

    /// Each malformed request, after a good one on the same connection: the good one is
    /// answered, the bad one gets its protocol error, and the connection is closed.
    @Test(arguments: [
        ("*abc\r\n", "ERR protocol error: invalid multibulk length"),
        ("*-2\r\n", "ERR protocol error: invalid multibulk length"),
        ("*2\r\n$-5\r\n", "ERR protocol error: invalid bulk length"),
        ("*2\r\n$abc\r\n", "ERR protocol error: invalid bulk length"),
        ("*1\r\n$3\r\nabcd\r\n", "ERR protocol error: bulk data not followed by CRLF"),
        ("*1\r\nPING\r\n", "ERR protocol error: expected '$', got 'P'"),
        ("*" + String(repeating: "9", count: 40) + "\r\n", "ERR protocol error: too big mbulk count string"),
        ("*1\r\n$" + String(repeating: "9", count: 40) + "\r\n", "ERR protocol error: too big bulk count string"),
        ("*1\r\n9\r\n", "ERR protocol error: expected '$', got '9'"),
        ("PING \"unbalanced\r\n", "ERR protocol error: unbalanced quotes in request"),
    ])
    func aMalformedRequestGetsAProtocolErrorAndIsClosed(request: String, expected: String) async throws {
        try await Self.withSmallLimits { fixture in
            let client = try fixture.client()
            try client.send("PING\r\n" + request)
            #expect(try client.read() == .simple("PONG"))
            guard case .error(let text) = try client.read() else {
                Issue.record("no error reply for \(request.debugDescription)")
                return
            }
            #expect(text == expected, "\(request.debugDescription) → \(text)")
            #expect(try client.isClosedByServer())
            #expect(try fixture.client().command("PING") == .simple("PONG"))
        }
    }

    /// Binary bytes after a `*` or `$`: a protocol error whose text stays one RESP line, so
    /// the client can still read it, then a close.
    @Test(arguments: [
        [UInt8(ascii: "*"), 0xFF, 0x00, 0xFE, 0x0D, 0x0A],
        [UInt8(ascii: "*"), UInt8(ascii: "1"), 0x0D, 0x0A, 0x00, 0xFF, 0x0D, 0x0A, 0x01],
        [UInt8(ascii: "*"), UInt8(ascii: "1"), 0x0D, 0x0A, UInt8(ascii: "$"), 0x80, 0x81, 0x0D, 0x0A],
    ])
    func binaryGarbageGetsAProtocolErrorAndIsClosed(bytes: [UInt8]) async throws {
        try await Self.withSmallLimits { fixture in
            let client = try fixture.client()
            try client.send(bytes)
            guard case .error(let text) = try client.read() else {
                Issue.record("no error reply for \(bytes)")
                return
            }
            #expect(text.hasPrefix("ERR protocol error: "))
            #expect(!text.contains("\r") && !text.contains("\n"))
            #expect(try client.isClosedByServer())
            #expect(try fixture.client().command("PING") == .simple("PONG"))
        }
    }

    /// Binary garbage with no line end at all is an inline line that never ends: refused at
    /// the line limit.
    @Test func endlessBinaryGarbageGetsTooLargeAndIsClosed() async throws {
        try await Self.withSmallLimits { fixture in
            let client = try fixture.client()
            var generator = SplitMix64(seed: 0x7E57)
            var garbage = (0..<200).map { _ in
                let byte = UInt8(truncatingIfNeeded: generator.next())
                return byte == 0x0A ? 0 : byte
            }
            // Not `*` (a multibulk request) nor `G` (the HTTP metrics probe) first.
            garbage[0] = 0
            try client.send(garbage)
            try Self.expectErrorThenClose(client, "TOOLARGE line exceeds 64 bytes", fixture)
        }
    }

    // MARK: connections

    @Test func exactlyMaxConnectionsAreAllServed() async throws {
        try await ServerFixture.with(configure: { $0.maxConnections = 5 }) { fixture in
            let clients = try (0..<5).map { _ in try fixture.client() }
            for client in clients { #expect(try client.command("PING") == .simple("PONG")) }
            #expect(fixture.server.metrics.connectionsRefused == 0)
            #expect(fixture.server.metrics.connectionsOpen == 5)
        }
    }

    /// 2,000 client sockets open at once, each answered; after all close the server counts
    /// none open. Client and server are in this process, so each connection takes two
    /// descriptors: the soft fd limit is raised to what that needs (up to the hard limit), and
    /// when even the hard limit is too low the test uses as many connections as it allows.
    @Test
    func twoThousandConcurrentConnectionsAreEachServedAndAllClose() async throws {
        let wanted = 2_000
        let headroom = 256  // the test process's other descriptors (SQLite, epoll, pipes)
        let count = min(wanted, (Self.raiseFileLimit(to: 2 * wanted + headroom) - headroom) / 2)
        #expect(count >= 500, "the hard fd limit allows only \(count) connections")
        try await ServerFixture.with { fixture in
            var clients: [TestClient] = []
            clients.reserveCapacity(count)
            for _ in 0..<count { clients.append(try fixture.client()) }
            // Every request is written before any reply is read: all are in flight together.
            for client in clients { try client.send("*1\r\n$4\r\nPING\r\n") }
            for (index, client) in clients.enumerated() {
                let reply = try client.read()
                guard reply == .simple("PONG") else {
                    Issue.record("connection \(index) got \(reply)")
                    return
                }
            }
            #expect(fixture.server.metrics.connectionsOpen == count)
            #expect(fixture.server.metrics.connectionsAccepted == count)
            #expect(fixture.server.metrics.connectionsRefused == 0)
            clients.removeAll()  // closes every socket
            try await pollUntil("every connection is closed", timeout: .seconds(20)) {
                fixture.server.metrics.connectionsOpen == 0
            }
            #expect(try fixture.client().command("PING") == .simple("PONG"))
        }
    }

    /// Raises the soft `RLIMIT_NOFILE` to `wanted` (at most the hard limit) and returns the
    /// soft limit now in force (`RLIM_INFINITY` is all ones, `rlim_t.max`).
    private static func raiseFileLimit(to wanted: Int) -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        if limit.rlim_cur < rlim_t(wanted) {
            limit.rlim_cur = limit.rlim_max == rlim_t.max ? rlim_t(wanted) : min(rlim_t(wanted), limit.rlim_max)
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        }
        return limit.rlim_cur == rlim_t.max ? Int.max : Int(clamping: limit.rlim_cur)
    }
}
