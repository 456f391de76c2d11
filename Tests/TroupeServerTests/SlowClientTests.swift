import Glibc
import Testing
import TroupeBackend
import TroupeServer
import TroupeTesting
import TroupeTestSupport

/// Clients that do not keep up: idle ones, readers slower than their pushes, pipelines whose
/// replies outgrow their buffer. Each is bounded by a limit of PROTOCOL.md and costs other
/// connections nothing.
@Suite(.serialized)
struct SlowClientTests {
    static let password = "correct horse"

    private func loggedIn(_ fixture: ServerFixture, as name: String, receiveBuffer: Int32? = nil) throws -> TestClient {
        let client = try fixture.client()
        if let receiveBuffer {
            var size = receiveBuffer
            _ = setsockopt(client.fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        #expect(try client.command("REGISTER", name, Self.password) == .simple("OK"))
        #expect(try client.command("AUTH", name, Self.password) == .simple("OK"))
        return client
    }

    /// Two round trips: the loop turn that answered the first has finished (its idle sweep
    /// included) before the second is read.
    private func poke(_ client: TestClient) throws {
        #expect(try client.command("PING") == .simple("PONG"))
        #expect(try client.command("PING") == .simple("PONG"))
    }

    @Test func anAnonymousConnectionIdlePastTheTimeoutIsClosedAndALoggedInOneStays() async throws {
        try await ServerFixture.with(configure: { $0.anonymousIdleTimeout = .seconds(60) }) { fixture in
            let anonymous = try fixture.client()
            #expect(try anonymous.command("PING") == .simple("PONG"))
            let member = try loggedIn(fixture, as: "alice")
            let observer = try fixture.client()

            // Exactly the limit: idle time 60 s is allowed (limits are inclusive).
            fixture.clock.advance(by: .seconds(60))
            try poke(observer)
            #expect(fixture.server.metrics.connectionsIdleClosed == 0)
            #expect(try !anonymous.isClosedByServerWithoutWaiting())

            fixture.clock.advance(by: .seconds(1))
            try poke(observer)
            #expect(try anonymous.isClosedByServer(), "idle 61 s while anonymous: closed")
            #expect(fixture.server.metrics.connectionsIdleClosed == 1)
            #expect(try member.command("PING") == .simple("PONG"), "a logged-in connection is never closed for idleness")
            try await pollUntil("the server counts two connections open") { fixture.server.metrics.connectionsOpen == 2 }
        }
    }

    /// A member that never reads while the room is busy: its pushes are dropped past the soft
    /// limit (counted), so the server holds at most about that much for it; it stays
    /// connected (pushes never take it past the hard limit); everyone else is answered as
    /// usual; and when it reads at last, what it gets is in order.
    @Test func aSlowReaderIsBoundedAndSlowsNoOneElse() async throws {
        let soft = 64 * 1024
        try await ServerFixture.with(configure: {
            $0.outboundSoftLimit = soft
            $0.outboundHardLimit = 4 * soft
        }, configureBackend: {
            $0.userRate = try! .perSecond(1_000_000, burst: 1_000_000)
        }) { fixture in
            let slow = try loggedIn(fixture, as: "slow")
            #expect(try slow.command("JOIN", "busy") == .simple("OK"))
            let speaker = try loggedIn(fixture, as: "speaker")
            let bystander = try fixture.client()
            // 6.4 MB of pushes: more than the kernel buffers of both ends hold for a reader
            // that takes nothing (its receive buffer does not grow while it does not read).
            let text = String(repeating: "x", count: 16_000)
            var lastID: Int64 = 0
            for round in 0..<20 {
                var batch = ""
                for _ in 0..<20 { batch += "*3\r\n$3\r\nSAY\r\n$4\r\nbusy\r\n$\(text.count)\r\n\(text)\r\n" }
                try speaker.send(batch)
                for _ in 0..<20 {
                    guard case .integer(let id) = try speaker.read() else {
                        Issue.record("a SAY was not acknowledged in round \(round)")
                        return
                    }
                    #expect(id > lastID)
                    lastID = id
                }
                #expect(try bystander.command("PING") == .simple("PONG"))
            }
            let metrics = fixture.server.metrics
            #expect(metrics.pushesDropped > 0, "6.4 MB of pushes at a reader that takes none: some are dropped")
            #expect(metrics.outputPendingBytes <= soft + 2_048, "held for the slow reader: \(metrics.outputPendingBytes)")
            #expect(metrics.connectionsOverLimit == 0)

            // It reads at last: pushes in id order, each whole, then its own request's reply.
            try slow.send("*1\r\n$4\r\nPING\r\n")
            var previous: Int64 = 0
            var received = 0
            while true {
                let reply = try slow.read()
                if reply == .simple("PONG") { break }
                guard case .array(let push) = reply, push.count == 6, case .integer(let id) = push[2] else {
                    Issue.record("unexpected \(reply)")
                    return
                }
                #expect(id > previous)
                #expect(push[4] == .bulk(text))
                previous = id
                received += 1
            }
            #expect(received > 0 && received < 400)
        }
    }

    /// Replies are never dropped: a pipeline whose replies pile up past the hard limit gets
    /// its connection closed instead, and the server goes on.
    @Test func repliesPastTheHardLimitCloseTheConnection() async throws {
        let hard = 256 * 1024
        try await ServerFixture.with(configure: {
            $0.outboundSoftLimit = hard / 2
            $0.outboundHardLimit = hard
        }, configureBackend: {
            $0.userRate = try! .perSecond(1_000_000, burst: 1_000_000)
        }) { fixture in
            let writer = try loggedIn(fixture, as: "writer")
            let text = String(repeating: "y", count: 1_000)
            var batch = ""
            for _ in 0..<100 { batch += "*3\r\n$3\r\nSAY\r\n$4\r\nroom\r\n$\(text.count)\r\n\(text)\r\n" }
            try writer.send(batch)
            for _ in 0..<100 { _ = try writer.read() }

            // Each HISTORY reply is about 100 KB; 200 of them unread are far past 256 KiB.
            let greedy = try loggedIn(fixture, as: "greedy", receiveBuffer: 4_096)
            try greedy.send(String(repeating: "HISTORY room 100\r\n", count: 200))
            try await pollUntil("the greedy connection is closed") { fixture.server.metrics.connectionsOverLimit == 1 }
            #expect(try writer.command("PING") == .simple("PONG"))
            try await pollUntil("only the writer's connection is open") { fixture.server.metrics.connectionsOpen == 1 }
        }
    }
}

extension TestClient {
    /// True when the server has closed the connection, without blocking when it has not.
    func isClosedByServerWithoutWaiting() throws -> Bool {
        var byte: UInt8 = 0
        let count = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        if count == 0 { return true }
        if count < 0, errno == EAGAIN || errno == EWOULDBLOCK { return false }
        return count < 0
    }
}
