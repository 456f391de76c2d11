import Testing
import TroupeTestSupport
import Troupe
@testable import TroupeBackend
import TroupeStore

@Suite struct CacheTests {
    @Test("cache invalidation hits other users → per-user cache actors; keys carry the user; invalidation scoped and versioned")
    func aDirectMessageInvalidatesExactlyItsTwoParticipants() async throws {
        try await BackendFixture.with { fixture in
            let (alice, bob, carol, dave) = (try await fixture.user("alice"), try await fixture.user("bob"), try await fixture.user("carol"), try await fixture.user("dave"))
            _ = try await alice.integer("DM", "bob", "a1")
            _ = try await carol.integer("DM", "dave", "c1")
            let pairs = [(alice, "alice", "bob"), (bob, "bob", "alice"), (carol, "carol", "dave"), (dave, "dave", "carol")]
            for (client, _, other) in pairs {
                try await client.ok("DMS", other) // miss: loaded
                try await client.ok("DMS", other) // hit
            }
            for (_, user, _) in pairs {
                let metrics = try await cacheMetrics(fixture, user)
                #expect((metrics.entries, metrics.hits, metrics.misses, metrics.invalidated) == (1, 1, 1, 0), "\(user): \(metrics)")
            }

            _ = try await alice.integer("DM", "bob", "a2")
            for user in ["alice", "bob"] {
                let metrics = try await cacheMetrics(fixture, user)
                #expect((metrics.entries, metrics.invalidated) == (0, 1), "\(user): \(metrics)")
            }
            for user in ["carol", "dave"] {
                let metrics = try await cacheMetrics(fixture, user)
                #expect((metrics.entries, metrics.invalidated) == (1, 0), "\(user): \(metrics)")
            }
            // Other users' conversations stay cached; the participants read the new message.
            try await carol.ok("DMS", "dave")
            let carolAfter = try await cacheMetrics(fixture, "carol")
            #expect((carolAfter.hits, carolAfter.misses) == (2, 1))
            let page = try await bob.ok("DMS", "alice")
            #expect(page.elements.map { $0.elements[3].text } == ["a1", "a2"])
            let bobAfter = try await cacheMetrics(fixture, "bob")
            #expect((bobAfter.hits, bobAfter.misses) == (1, 2))
        }
    }

    @Test func aLoadThatStartedBeforeAnInvalidationIsNeverStored() async throws {
        try await BackendFixture.with(configure: { configuration in
            configuration.pool = try! PoolOptions(minConnections: 1, maxConnections: 1, maxWaiters: 10)
        }) { fixture in
            let alice = try await fixture.user("alice")
            _ = try await fixture.user("bob")
            _ = try await alice.integer("DM", "bob", "one")
            // The DM's engagement credit is written after its reply; an ENGAGE is answered
            // only once its own (later) batch commits, so storage is quiet after it.
            _ = try await alice.integer("ENGAGE", "nothing")
            let pool = fixture.backend.services.pool
            let holder = PoolBlocker()
            try await withThrowingTaskGroup(of: Void.self) { group in
                defer { holder.release() }
                group.addTask { try await holder.hold(pool) }
                try await pollUntil("the only connection is held") { holder.isHolding }
                // The DMS misses: its load (the partner's id and the page, in one connection
                // turn) waits for the connection.
                let read = Collected<Reply>()
                group.addTask { read.append(try await alice.ok("DMS", "bob")) }
                try await pollUntil("the load is in flight") { try await cacheMetrics(fixture, "alice").loadsInFlight == 1 }
                try await pollUntil("the load waits for the connection") { try await pool.metrics().waiting == 1 }
                // A write lands while the load is in flight: its result must not be stored.
                try await fixture.backend.caches.ask(UserName(unchecked: "alice")) { .invalidate(other: UserName(unchecked: "bob"), $0) }
                holder.release()
                try await group.waitForAll()
                #expect(read.all.first?.elements.count == 1)
            }
            let afterLoad = try await cacheMetrics(fixture, "alice")
            #expect((afterLoad.loads, afterLoad.entries) == (1, 0), "\(afterLoad)")
            try await alice.ok("DMS", "bob")
            let reloaded = try await cacheMetrics(fixture, "alice")
            #expect((reloaded.loads, reloaded.entries, reloaded.hits) == (2, 1, 0), "\(reloaded)")
        }
    }

    @Test func tenUsersChattingAndReadingTheirMessagesHitTheCache() async throws {
        try await BackendFixture.with { fixture in
            let names = (0..<10).map { "reader\($0)" }
            let users = try await fixture.users(names)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, user) in users.enumerated() {
                    // Pairs: reader0–reader1, reader2–reader3, …
                    let partner = names[index ^ 1]
                    group.addTask {
                        for round in 0..<10 {
                            _ = try await user.integer("SAY", "lobby", "round \(round)")
                            if round.isMultiple(of: 2) { _ = try await user.integer("DM", partner, "round \(round)") }
                            for _ in 0..<10 { try await user.ok("DMS", partner) }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let stats = try await fixture.stats()
            let hits = Double(stats["cache_hits"] ?? "") ?? 0, misses = Double(stats["cache_misses"] ?? "") ?? 0
            #expect(hits + misses == 1_000)
            #expect(hits / (hits + misses) > 0.8, "hits \(hits), misses \(misses)")
        }
    }
}

func cacheMetrics(_ fixture: BackendFixture, _ user: String) async throws -> TTLCacheMetrics {
    try await fixture.backend.caches.ask(UserName(unchecked: user)) { .metrics($0) }
}
