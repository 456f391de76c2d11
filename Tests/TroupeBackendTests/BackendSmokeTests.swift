import Testing
import TroupeTestSupport
import Troupe
import TroupeBackend

@Suite struct BackendSmokeTests {
    @Test func aUserRegistersLogsInJoinsSaysAndReadsHistory() async throws {
        try await BackendFixture.with { fixture in
            let alice = try await fixture.user("alice")
            let whoami = try await alice.ok("WHOAMI")
            #expect(whoami.text == "alice")
            try await alice.ok("JOIN", "lobby")
            let id = try await alice.integer("SAY", "lobby", "hello world")
            #expect(id > 0)
            let history = try await alice.ok("HISTORY", "lobby")
            #expect(history.elements.count == 1)
            let message = history.elements.first?.elements ?? []
            #expect(message.count == 5)
            #expect(message.first == .integer(id))
            #expect(message.dropFirst().prefix(3).map(\.text) == ["lobby", "alice", "hello world"])
            #expect(message.last == .integer(BackendFixture.epoch))
            try await eventuallyPushes(alice.sink, count: 1)
            #expect(alice.sink.pushes.first?.kind == "message")
        }
    }

    @Test func anonymousCommandsAndNoauth() async throws {
        try await BackendFixture.with { fixture in
            let client = fixture.connect()
            let (ping, health, whoami) = (try await client.ok("PING"), try await client.ok("HEALTH"), try await client.ok("WHOAMI"))
            #expect(ping.text == "PONG")
            #expect(health.text == "OK")
            #expect(whoami == .null)
            #expect(await client.fails("SAY", "lobby", "hi")?.code == .noauth)
            #expect(await client.fails("LOGIN", "nobody", "password-1")?.text == "DENIED invalid credentials")
        }
    }
}

extension BackendSmokeTests {
    @Test func adminSeesStatsMetricsAndTree() async throws {
        try await BackendFixture.with { fixture in
            let root = try await fixture.admin()
            _ = try await root.ok("PING")
            let stats = try await root.ok("STATS").text ?? ""
            #expect(stats.contains("connections 1\n"))
            #expect(stats.contains("latency_ping_p99_us "))
            let metrics = try await root.ok("METRICS").text ?? ""
            #expect(metrics.contains("# TYPE troupe_command_duration_seconds histogram"))
            #expect(metrics.contains("troupe_connections 1"))
            let tree = try await root.ok("TREE").text ?? ""
            #expect(tree.contains("/root/services/unlock mailbox=0/1024 restarts=0 state=running"))
        }
    }
}

extension BackendSmokeTests {
    /// A failed-login bucket that takes 100 minutes to refill is kept that long (the
    /// limiter's default idle time of 15 minutes would refuse the setting).
    @Test func slowRefillingBucketsStart() async throws {
        try await BackendFixture.with(configure: { configuration in
            configuration.failedLogins = try! TokenBucketConfiguration(capacity: 100, refill: 1, per: .seconds(60))
            configuration.userRate = try! TokenBucketConfiguration(capacity: 10, refill: 1, per: .seconds(3_600))
        }) { fixture in
            let alice = try await fixture.user("alice")
            _ = try await alice.ok("PING")
        }
    }
}

extension BackendSmokeTests {
    /// DM and DMS name an unknown user: NOTFOUND, also for a count of 0, and again after the
    /// user's cache has been used (an error is never cached).
    @Test func directMessagesToAnUnknownUserAreNotFound() async throws {
        try await BackendFixture.with { fixture in
            let alice = try await fixture.user("alice")
            #expect(await alice.fails("DM", "ghost", "hello?")?.text == "NOTFOUND no such user 'ghost'")
            #expect(await alice.fails("DMS", "ghost")?.text == "NOTFOUND no such user 'ghost'")
            #expect(await alice.fails("DMS", "ghost", "0")?.code == .notFound)
            #expect(await alice.fails("DMS", "ghost")?.code == .notFound)
            _ = try await fixture.user("ghost")
            let page = try await alice.ok("DMS", "ghost")
            #expect(page == .array([]))
        }
    }
}

func eventuallyPushes(_ sink: TestSink, count: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    try await pollUntil("\(count) pushes arrive", sourceLocation: sourceLocation) { sink.pushes.count >= count }
}
