import Foundation
import Testing
import TroupeTestSupport
import Troupe
@testable import TroupeBackend
import TroupeTesting

@Suite struct ShutdownTests {
    /// The front's subtree is placed last, so it stops first; storage stops last.
    @Test func theFrontStopsFirstAndStorageLast() async throws {
        let front = try ChildSpec.supervisor("front", SupervisorSpec(children: [
            .actor("listener", mailbox: .init(capacity: 8)) { Idle() },
        ]))
        let clock = ManualClock()
        var configuration = BackendConfiguration()
        let directory = "/tmp/troupe-shutdown-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        configuration.database = .sqlite(.init(path: directory + "/troupe.db"))
        configuration.clock = clock
        configuration.passwordCost = 1
        configuration.logLevel = .error
        let backend = try await Backend.start(configuration, front: [front])
        let order = Locked<[String]>([])
        _ = backend.system.addLifecycleObserver { event in
            guard event.kind == .terminated, event.path.depth == 1 else { return }
            order.withLock { $0.append(event.path.name) }
        }
        let tree = backend.system.tree()
        #expect(tree.contains("/root/front/listener"))
        let report = await backend.shutdown(deadline: .seconds(5))
        #expect(report.completed)
        #expect(order.value == ["front", "rooms", "users", "services", "storage"])
        #expect(backend.system.liveActorCount == 0)
        #expect(backend.system.liveTaskCount == 0)
    }

    /// Once shutdown begins, new requests get SHUTDOWN; a request already in flight
    /// finishes with its real reply.
    @Test func newWorkIsRefusedAndInFlightWorkFinishes() async throws {
        try await BackendFixture.with(configure: { $0.kdfThreads = 1 }) { fixture in
            let newcomer = fixture.connect()
            let late = fixture.connect()
            // The one KDF thread is held, so the REGISTER below stays in flight.
            let gate = BlockingGate()
            let held = Task { try await fixture.backend.kdf.run { gate.block() } }
            try await gate.waitForArrivals(1)
            async let registered = newcomer.run("REGISTER", "newcomer", "password-1")
            try await pollUntil("the REGISTER waits for the KDF") { fixture.backend.kdf.metrics.queued == 1 }
            async let report = fixture.backend.shutdown(deadline: .seconds(30))
            try await pollUntil("shutdown has begun") {
                if case .failure(let error) = await late.run("PING") { return error.code == .shutdown }
                return false
            }
            gate.open()
            try await held.value
            let outcome = await registered
            #expect(try outcome.get() == .ok)
            let stopped = await report
            #expect(stopped.completed)
            #expect(fixture.backend.system.liveTaskCount == 0)
        }
    }
}

private struct Idle: Behavior {
    func receive(_ message: Int, context: ActorContext<Int>) async throws {}
}

@Suite struct BusRestartTests {
    /// A restart of the event bus forgets every subscription: the sessions restart with it
    /// and make their connections anonymous, so none stays logged in but deaf; a RESUME
    /// brings the pushes back.
    @Test func aBusRestartLogsConnectionsOutInsteadOfLeavingThemDeaf() async throws {
        try await BackendFixture.with(configure: { $0.faultInjection = true }) { fixture in
            let root = try await fixture.admin()
            let alice = try await fixture.user("alice")
            let token = try await alice.ok("LOGIN", "alice", "password-1").text ?? ""
            try await alice.ok("JOIN", "lobby")
            try await root.ok("CRASH", "/root/users/bus")
            // The next push reaches the bus actor, which fails on it and restarts.
            _ = try await alice.integer("SAY", "lobby", "the message the bus fails on")
            try await pollUntil("alice's session ended with the bus") { alice.connection.user == nil }
            let whoami = try await alice.ok("WHOAMI")
            #expect(whoami == .null)
            try await alice.ok("RESUME", token)
            try await alice.ok("JOIN", "lobby")
            let before = alice.sink.pushes.count
            let id = try await alice.integer("SAY", "lobby", "heard again")
            try await pollUntil("the push arrives") { alice.sink.pushes.count > before }
            #expect(alice.sink.pushes.last == .message(room: "lobby", id: id, user: "alice", text: Array("heard again".utf8), at: BackendFixture.epoch))
        }
    }
}
