import Testing
import Troupe
import TroupeBackend
import TroupeStore
import TroupeTestSupport
import TroupeTesting

/// PostgreSQL goes away under a running backend and comes back: requests fail at once with
/// UNAVAILABLE, HEALTH says why, and service resumes by itself. The test has a server of its
/// own, so the other tests' server is never touched.
///
/// It runs on the real clock, with short settings: an outage makes the pool retry after a
/// backoff and makes waits end at deadlines, which a manual clock would hold for ever. The
/// assertions are about outcomes, not durations (apart from "fast", a generous bound).
@Suite("Backend storage outage", .timeLimit(.minutes(2)))
struct StorageOutageTests {
    @Test func unavailableAtOnceHealthSaysWhyAndServiceRecoversByItself() async throws {
        let server = try PostgresTestServer.dedicated()
        defer { server.shutDown() }
        let breaker = try CircuitBreakerConfiguration(failureThreshold: 2, openDuration: .milliseconds(300), probeTimeout: .seconds(2))
        try await BackendFixture.run(database: .postgres(PostgresConfiguration(url: server.url)), configure: { configuration in
            configuration.clock = nil
            configuration.wallClock = .system
            configuration.requestTimeout = .seconds(3)
            configuration.healthInterval = .milliseconds(100)
            configuration.pool = try! PoolOptions(minConnections: 1, maxConnections: 2, defaultTimeout: .seconds(1), breaker: breaker)
        }) { fixture in
            let alice = try await fixture.user("alice")
            _ = try await alice.integer("SAY", "lobby", "before")

            try server.stopPostgres()
            let started = ContinuousClock.now
            for _ in 0..<5 {
                let failure = await alice.fails("SAY", "lobby", "during")
                #expect(failure?.code == .unavailable || failure?.code == .busy, "\(String(describing: failure))")
            }
            #expect(ContinuousClock.now - started < .seconds(5), "failing fast, not waiting for deadlines")
            // A request saw storage fail: HEALTH says so at once, with the reason.
            let health = await alice.fails("HEALTH")
            #expect(health?.code == .unavailable)
            #expect(health?.message.contains("storage") == true)
            if case .unavailable = fixture.backend.health {} else { Issue.record("health is \(fixture.backend.health)") }

            try server.startPostgres()
            // After the breaker's open period the next probe closes it; the monitor probes
            // every 100 ms and clears the verdict.
            try await pollUntil("health returns") { fixture.backend.health == .ok }
            let ping = try await alice.ok("HEALTH")
            #expect(ping.text == "OK")
            _ = try await alice.integer("SAY", "lobby", "after")
            let history = try await alice.ok("HISTORY", "lobby")
            #expect(history.elements.compactMap { $0.elements.dropFirst(3).first?.text } == ["before", "after"])
        }
    }
}
