import Testing
import TroupeTestSupport
import Troupe
@testable import TroupeBackend
import TroupeStore

@Suite struct LoadTests {
    @Test func hundredConcurrentSaysAreAllAcknowledgedAndInHistory() async throws {
        try await BackendFixture.with { fixture in
            let users = try await fixture.connections((0..<5).map { "talker\($0)" }, each: 20)
            let results = await concurrently(users.indices.map { (users[$0], ["SAY", "lobby", "message \($0)"]) })
            let ids = results.compactMap { Outcome($0).id }
            #expect(ids.count == 100, "\(results.map(Outcome.init).filter { $0.id == nil })")
            #expect(Set(ids).count == 100)
            let history = try await users[0].ok("HISTORY", "lobby", "500")
            let stored = history.elements.compactMap { message -> Int64? in
                if case .integer(let id) = message.elements.first { return id }
                return nil
            }
            #expect(Set(stored) == Set(ids))
            #expect(stored == stored.sorted()) // oldest first, ids in commit order
        }
    }

    @Test func thousandConcurrentSaysAreAnsweredIdBusyOrTimeoutAndEveryIdIsStored() async throws {
        try await BackendFixture.with(configure: { configuration in
            configuration.userRate = try! TokenBucketConfiguration.perSecond(100_000, burst: 100_000)
            configuration.mailboxCapacity = 16
            configuration.writer = try! WriterOptions(maxPending: 32, maxGroupSize: 16)
            configuration.pool = try! PoolOptions(maxConnections: 2, maxWaiters: 4)
            configuration.roomWriteBatch = 8
            // Queues this small refuse the coordinator's writes too (it logs and rebuilds).
            configuration.logger = { _, _ in }
        }) { fixture in
            let users = try await fixture.connections((0..<50).map { "crowd\($0)" }, each: 4)
            let requests = (0..<1_000).map { index in (users[index % users.count], ["SAY", "room\(index % 5)", "message \(index)"]) }
            let outcomes = await concurrently(requests).map(Outcome.init)
            let unexpected = outcomes.filter { $0.id == nil && $0 != .busy && $0 != .timeout }
            #expect(unexpected.isEmpty, "\(Set(unexpected))")
            let acknowledged = Set(outcomes.compactMap(\.id))
            let timedOut = outcomes.filter { $0 == .timeout }.count
            #expect(!acknowledged.isEmpty)
            let stored = try await fixture.storedRoomMessageIDs()
            #expect(acknowledged.isSubset(of: stored))
            // BUSY did not take effect; only a TIMEOUT may have.
            #expect(stored.count <= acknowledged.count + timedOut)
        }
    }

    @Test func unlocksCrossExactlyOnceUnderLoad() async throws {
        try await BackendFixture.with { fixture in
            let root = try await fixture.admin()
            try await root.ok("WEIGHT", "cheer", "1")
            // 1,000 contributions at once from 25 users, 40 each (their burst), on 250 connections.
            let users = try await fixture.connections((0..<25).map { "crowd\($0)" }, each: 10)
            let requests = (0..<1_000).map { (users[$0 % users.count], ["ENGAGE", "cheer"]) }
            let outcomes = await concurrently(requests).map(Outcome.init)
            #expect(outcomes.allSatisfy { $0 == .id(1) || $0 == .busy }, "\(Set(outcomes))")
            let credited = Int64(outcomes.filter { $0 == .id(1) }.count)
            #expect(credited > 50)
            // Campfire 1 (cost 10) unlocked once; the rest is banked while the vote runs.
            let unlocks = try await root.ok("UNLOCKS")
            #expect(unlocks.elements.map { $0.elements.first?.text } == ["campfire"])
            let progress = try await root.ok("PROGRESS")
            #expect(progress["voting"] == .integer(1))
            #expect(progress["progress"] == .integer(credited - 10))
            // A second refills the voters' buckets (VOTE is rate-limited too); three users
            // vote for the well, one for the quarry (connections 0, 10, 20, 30: four users).
            fixture.clock.advance(by: .seconds(1))
            for voter in [users[0], users[10], users[20]] { try await voter.ok("VOTE", "well") }
            try await users[30].ok("VOTE", "quarry")

            // The vote ends: the well (level 1 costs 15) wins and takes the bank at once.
            fixture.clock.advance(by: fixture.backend.configuration.votingDuration)
            try await pollUntil("the winner unlocks") {
                try await root.ok("UNLOCKS").elements.count == 2
            }
            let after = try await root.ok("UNLOCKS")
            #expect(after.elements.map { $0.elements.first?.text } == ["campfire", "well"])
            let rows = try await fixture.backend.services.pool.query(
                "SELECT node_id, level, COUNT(*) FROM progression_unlocks GROUP BY node_id, level", [], idempotent: true
            )
            for row in rows {
                let count = try row.decode(Int64.self, at: 2)
                #expect(count == 1)
            }
            // Every connection heard of each unlock exactly once.
            for user in users {
                try await pollUntil("both unlocks reach every connection") { user.sink.count(of: "unlocked") >= 2 }
                #expect(user.sink.count(of: "unlocked") == 2)
            }
            try await pollUntil("the second vote opens") { try await root.ok("PROGRESS")["voting"] == .integer(1) }
            let banked = try await root.ok("PROGRESS")
            #expect(banked["progress"] == .integer(credited - 10 - 15))
        }
    }

    @Test func statsNamesEveryAggregateAndMetricsHoldNoUserName() async throws {
        try await BackendFixture.with { fixture in
            let names = ["zq_alpha_user", "zq_beta_user", "zq_gamma_user"]
            let users = try await fixture.users(names)
            for (index, user) in users.enumerated() {
                try await user.ok("JOIN", "lobby")
                _ = try await user.integer("SAY", "lobby", "hi from \(names[index])")
                _ = try await user.integer("DM", names[(index + 1) % names.count], "psst")
                try await user.ok("DMS", names[(index + 1) % names.count])
                try await user.ok("HISTORY", "lobby")
            }
            let root = try await fixture.admin()
            let stats = Stats.parse(try await root.ok("STATS").text ?? "")
            for name in [
                "connections", "actors", "mailbox_depth_total", "mailbox_depth_max", "mailbox_dropped_total", "restarts_total",
                "abandoned_tasks_total", "ask_cycles_total",
                "pool_in_use", "pool_idle", "pool_waiting", "cache_hits", "cache_misses", "rate_limited",
            ] {
                #expect(stats[name] != nil, "STATS lacks \(name)")
                #expect(stats[name].flatMap { Int($0) } != nil, "\(name) is not a number: \(stats[name] ?? "")")
            }
            for command in ["say", "dm", "dms", "history"] {
                for quantile in ["p50", "p95", "p99"] {
                    #expect(stats["latency_\(command)_\(quantile)_us"] != nil, "STATS lacks the \(quantile) latency of \(command)")
                }
            }
            #expect(stats["connections"] == "4")
            #expect(stats["latency_say_count"] == "3")
            #expect(Int(stats["cache_misses"] ?? "") ?? 0 >= 3)

            let metrics = try await root.ok("METRICS").text ?? ""
            #expect(metrics.contains("troupe_connections 4"))
            #expect(metrics.contains("troupe_cache_hits "))
            // Prometheus text: comments, or `name{labels} value`.
            for line in metrics.split(separator: "\n") where !line.hasPrefix("#") {
                let parts = line.split(separator: " ")
                #expect(parts.count == 2 && Double(parts[1]) != nil, "not a sample line: \(line)")
                #expect(parts.first?.hasPrefix("troupe_") == true, "\(line)")
            }
            for name in names + ["root"] {
                #expect(!metrics.contains(name), "METRICS names the user \(name)")
            }
        }
    }
}
