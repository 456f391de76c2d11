import Testing
import Troupe
@testable import TroupeBackend

@Suite struct RateLimitTests {
    @Test("no rate limiting; limiter map grows forever → rate limiter: per-user and global buckets; count capped")
    func oneUsersFloodLimitsOnlyThatUser() async throws {
        try await BackendFixture.with(configure: { configuration in
            configuration.userRate = try! TokenBucketConfiguration(capacity: 10, refill: 1, per: .seconds(60))
        }) { fixture in
            // A connection per request in flight: mallory floods from 30, alice talks on 5.
            let mallory = try await fixture.connections(["mallory"], each: 30)
            let alice = try await fixture.connections(["alice"], each: 5)
            let requests = mallory.map { ($0, ["SAY", "lobby", "spam"]) } + alice.map { ($0, ["SAY", "lobby", "hello"]) }
            let results = await concurrently(requests)
            let flood = results.prefix(mallory.count), talk = results.suffix(alice.count)
            #expect(flood.filter { Outcome($0).id != nil }.count == 10)
            #expect(flood.filter { Outcome($0) == .busy }.count == 20)
            for case .failure(let error) in flood {
                #expect(error.message.hasPrefix("rate limited, retry after "), "\(error)")
            }
            #expect(talk.allSatisfy { Outcome($0).id != nil }, "\(talk.map(Outcome.init))")
            let stats = try await fixture.stats()
            #expect(stats["rate_limited"] == "20")
            // Time refills the bucket: one more a minute.
            fixture.clock.advance(by: .seconds(60))
            let again = try await mallory[0].integer("SAY", "lobby", "after a minute")
            #expect(again > 0)
            #expect(await mallory[1].fails("SAY", "lobby", "too soon")?.code == .busy)
        }
    }

    @Test("limiter memory stays bounded by maxRateLimitedUsers under 100,000 distinct users")
    func limiterKeysAreCapped() async throws {
        let cap = 10_000
        try await BackendFixture.with(configure: { configuration in
            configuration.maxRateLimitedUsers = cap
            // The global bucket would stop the run at its burst; here only memory is in question.
            configuration.globalRate = try! TokenBucketConfiguration.perSecond(1_000_000, burst: 1_000_000)
        }) { fixture in
            let limiter = fixture.backend.limiter
            // Eight workers, each one check at a time: well within the limiter's mailbox.
            let workers = 8, total = 100_000
            let allowed = try await withThrowingTaskGroup(of: Int.self) { group in
                for worker in 0..<workers {
                    group.addTask {
                        var allowed = 0
                        for index in stride(from: worker, to: total, by: workers) {
                            if try await limiter.check(UserName(unchecked: "user\(index)")).isAllowed { allowed += 1 }
                            if index % 10_000 == worker {
                                let live = try await limiter.metrics().liveKeys
                                #expect(live <= cap)
                            }
                        }
                        return allowed
                    }
                }
                return try await group.reduce(0, +)
            }
            // Each new user has a full bucket: none is refused, whatever was forgotten.
            #expect(allowed == total)
            let metrics = try await limiter.metrics()
            #expect(metrics.maxKeys == cap)
            #expect(metrics.liveKeys <= cap)
            #expect(metrics.liveKeysHighWaterMark <= cap)
            #expect(metrics.evicted >= total - cap)
        }
    }
}
