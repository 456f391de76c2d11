import Testing
import Troupe
import TroupeTesting

@Suite struct RateLimiterTests {
    private func at(nanoseconds: Int64) -> ClockInstant {
        ClockInstant(offset: .nanoseconds(nanoseconds))
    }

    private func at(milliseconds: Int64) -> ClockInstant {
        ClockInstant(offset: .milliseconds(milliseconds))
    }

    // MARK: Token arithmetic

    @Test func aBurstDrainsTheBucketAndRetryAfterIsExact() throws {
        // 3 tokens, 2 per second: one token every 500 ms.
        var state = RateLimiterState<String>(configuration: try RateLimiterConfiguration(perKey: .perSecond(2, burst: 3)))
        let start = at(milliseconds: 0)
        #expect(state.check("a", now: start) == .allowed(remaining: 2))
        #expect(state.check("a", now: start) == .allowed(remaining: 1))
        #expect(state.check("a", now: start) == .allowed(remaining: 0))
        #expect(state.check("a", now: start) == .denied(retryAfter: .milliseconds(500)))
        #expect(state.check("a", now: at(milliseconds: 250)) == .denied(retryAfter: .milliseconds(250)))
        #expect(state.check("a", now: at(milliseconds: 500)) == .allowed(remaining: 0))
        // A cost of 2 after 750 ms: 1.5 tokens there, half a token (250 ms) missing.
        #expect(state.check("a", cost: 2, now: at(milliseconds: 1_250)) == .denied(retryAfter: .milliseconds(250)))
        #expect(state.check("a", cost: 2, now: at(milliseconds: 1_500)) == .allowed(remaining: 0))
        // Idle long enough, the bucket is full again, and never more than full.
        #expect(state.check("a", now: at(milliseconds: 60_000)) == .allowed(remaining: 2))
        #expect(state.check("a", cost: 4, now: at(milliseconds: 60_000)) == .denied(retryAfter: nil), "more than the capacity: never")
        #expect(state.metrics.allowed == 6)
        #expect(state.metrics.denied == 4)
    }

    @Test func refillIsContinuousAndRetryAfterRoundsUpToTheNanosecond() throws {
        // 3 per second: a token every 333,333,333⅓ ns.
        var state = RateLimiterState<Int>(configuration: try RateLimiterConfiguration(perKey: .perSecond(3, burst: 3)))
        for _ in 0..<3 { #expect(state.check(7, now: at(nanoseconds: 0)).isAllowed) }
        #expect(state.check(7, now: at(nanoseconds: 0)) == .denied(retryAfter: .nanoseconds(333_333_334)))
        #expect(state.check(7, now: at(nanoseconds: 333_333_333)) == .denied(retryAfter: .nanoseconds(1)))
        #expect(state.check(7, now: at(nanoseconds: 333_333_334)) == .allowed(remaining: 0))
        // The ⅔ ns surplus is kept, not rounded away: three tokens in exactly one second.
        #expect(state.check(7, now: at(nanoseconds: 666_666_666)) == .denied(retryAfter: .nanoseconds(1)))
        #expect(state.check(7, now: at(nanoseconds: 666_666_667)) == .allowed(remaining: 0))
        #expect(state.check(7, now: at(nanoseconds: 999_999_999)) == .denied(retryAfter: .nanoseconds(1)))
        #expect(state.check(7, now: at(nanoseconds: 1_000_000_000)) == .allowed(remaining: 0))
        // A full bucket keeps no surplus: after a long pause it holds its capacity, no more.
        #expect(state.check(7, now: at(nanoseconds: 10_000_000_000)) == .allowed(remaining: 2))
    }

    @Test func theGlobalBucketMustAlsoPassAndARefusalCostsTheKeyNothing() throws {
        var state = RateLimiterState<String>(configuration: try RateLimiterConfiguration(
            perKey: .perSecond(1, burst: 2), global: .perSecond(1, burst: 3)
        ))
        let now = at(milliseconds: 0)
        #expect(state.check("a", now: now).isAllowed)
        #expect(state.check("a", now: now).isAllowed)
        #expect(state.check("b", now: now).isAllowed)
        #expect(state.check("b", now: now) == .denied(retryAfter: .seconds(1)), "the global bucket is empty")
        #expect(state.tokens(for: "b") == 1, "b's own token was not taken")
        #expect(state.metrics.deniedByGlobal == 1)
        #expect(state.check("a", now: now) == .denied(retryAfter: .seconds(1)))
        #expect(state.metrics.deniedByGlobal == 1, "a was refused by its own bucket")
    }

    @Test func oneKeysFloodNeverDeniesAnotherKey() throws {
        var state = RateLimiterState<String>(configuration: try RateLimiterConfiguration(
            perKey: .perSecond(10, burst: 10), global: .perSecond(1_000, burst: 100)
        ))
        var allowed = 0
        for step in 0..<100_000 {
            // 100,000 requests within one second from one client.
            if state.check("flood", now: at(nanoseconds: Int64(step) * 10_000)).isAllowed { allowed += 1 }
        }
        #expect(allowed == 19, "its burst plus one second of refill")
        let now = at(milliseconds: 1_000)
        for _ in 0..<10 {
            #expect(state.check("quiet", now: now).isAllowed)
        }
        #expect(state.metrics.deniedByGlobal == 0)
    }

    // MARK: Memory bounds

    @Test func oneHundredThousandKeysNeverExceedTheCap() throws {
        var state = RateLimiterState<Int>(configuration: try RateLimiterConfiguration(perKey: .perSecond(1, burst: 1)))
        var most = 0
        for key in 0..<100_000 {
            _ = state.check(key, now: at(milliseconds: Int64(key)))
            most = max(most, state.liveKeys)
        }
        #expect(most == 10_000, "the default cap")
        #expect(state.metrics.liveKeysHighWaterMark == 10_000)
        #expect(state.metrics.evicted == 90_000)
        #expect(state.tokens(for: 99_999) == 0, "the newest keys are kept")
        #expect(state.tokens(for: 89_999) == nil, "the least recently used were evicted")
    }

    @Test func idleKeysExpireOnTheManualClockThroughTheActor() async throws {
        let clock = ManualClock()
        let system = try ActorSystem.forTesting(clock: clock)
        let limiter = RateLimiter<String>(try RateLimiterConfiguration(
            perKey: .perSecond(1, burst: 5), idleTimeout: .seconds(15 * 60), sweepInterval: .seconds(60)
        ))
        try await system.start(.supervisor("services", SupervisorSpec(children: [limiter.childSpec("limiter")])))
        for user in ["ann", "bob", "cy"] {
            #expect(try await limiter.check(user) == .allowed(remaining: 4))
        }
        clock.advance(by: .seconds(10 * 60))
        #expect(try await limiter.check("cy") == .allowed(remaining: 4), "cy is active again")
        clock.advance(by: .seconds(5 * 60))
        // The sweep timer's message uses the system lane: it is handled before this ask.
        var metrics = try await limiter.metrics()
        #expect(metrics.liveKeys == 1)
        #expect(metrics.expired == 2)
        clock.advance(by: .seconds(10 * 60))
        metrics = try await limiter.metrics()
        #expect(metrics.liveKeys == 0)
        #expect(metrics.expired == 3)
        #expect(metrics.allowed == 4)
        await system.shutdown()
    }

    @Test func checksThroughTheActorNeverGrantTheSameTokenTwice() async throws {
        let system = try ActorSystem.forTesting()
        let limiter = RateLimiter<Int>(try RateLimiterConfiguration(perKey: .perSecond(1, burst: 50)))
        try await system.start(limiter, name: "limiter")
        let allowed = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<200 { group.addTask { try await limiter.check(1).isAllowed } }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(allowed == 50, "the manual clock stands still: exactly the burst")
        await system.shutdown()
    }

    // MARK: Peek (no charge)

    @Test func peekNeverChangesTokensNorCountsAsAllowedOrDenied() throws {
        var state = RateLimiterState<String>(configuration: try RateLimiterConfiguration(perKey: .perSecond(2, burst: 5)))
        #expect(state.check("a", now: at(milliseconds: 0)).isAllowed)
        #expect(state.check("a", now: at(milliseconds: 0)).isAllowed)
        #expect(state.tokens(for: "a") == 3)
        for _ in 0..<10 { #expect(state.peek("a", now: at(milliseconds: 0)) == .allowed(remaining: 2)) }
        // Later, the answer includes the refill, but the stored bucket is not refilled.
        #expect(state.peek("a", now: at(milliseconds: 500)) == .allowed(remaining: 3))
        #expect(state.peek("a", cost: 5, now: at(milliseconds: 500)) == .denied(retryAfter: .milliseconds(500)))
        #expect(state.tokens(for: "a") == 3)
        #expect(state.metrics.allowed == 2)
        #expect(state.metrics.denied == 0)
        #expect(state.metrics.peeked == 12)
        // A check at the later instant still sees exactly what a peek there saw.
        #expect(state.check("a", now: at(milliseconds: 500)) == .allowed(remaining: 3))
    }

    @Test func peekOnAnEmptyBucketIsDeniedWithTheExactRetryAfter() throws {
        // 3 tokens, 2 per second: one token every 500 ms.
        var state = RateLimiterState<String>(configuration: try RateLimiterConfiguration(perKey: .perSecond(2, burst: 3)))
        for _ in 0..<3 { #expect(state.check("a", now: at(milliseconds: 0)).isAllowed) }
        #expect(state.peek("a", now: at(milliseconds: 0)) == .denied(retryAfter: .milliseconds(500)))
        #expect(state.peek("a", now: at(milliseconds: 250)) == .denied(retryAfter: .milliseconds(250)))
        #expect(state.peek("a", now: at(nanoseconds: 499_999_999)) == .denied(retryAfter: .nanoseconds(1)))
        #expect(state.peek("a", now: at(milliseconds: 500)) == .allowed(remaining: 0))
        #expect(state.peek("a", cost: 4, now: at(milliseconds: 500)) == .denied(retryAfter: nil), "more than the capacity: never")
        #expect(state.tokens(for: "a") == 0)
        // Nothing was charged: a check at 250 ms is denied exactly as before the peeks.
        #expect(state.check("a", now: at(milliseconds: 250)) == .denied(retryAfter: .milliseconds(250)))
    }

    @Test func peekSeesTheGlobalBucketWithoutDrawingOnIt() throws {
        var state = RateLimiterState<String>(configuration: try RateLimiterConfiguration(
            perKey: .perSecond(1, burst: 2), global: .perSecond(1, burst: 2)
        ))
        let now = at(milliseconds: 0)
        #expect(state.peek("a", now: now) == .allowed(remaining: 1))
        #expect(state.peek("b", now: now) == .allowed(remaining: 1))
        #expect(state.check("a", now: now).isAllowed)
        #expect(state.check("a", now: now).isAllowed)
        // The global bucket is empty; b's own bucket is full, so only the global one refuses.
        #expect(state.peek("b", now: now) == .denied(retryAfter: .seconds(1)))
        #expect(state.metrics.deniedByGlobal == 0, "peeks are not counted as denials")
        #expect(state.check("b", now: now) == .denied(retryAfter: .seconds(1)))
        #expect(state.metrics.deniedByGlobal == 1)
    }

    @Test func peekThenCheckChargesOnce() throws {
        var state = RateLimiterState<String>(configuration: try RateLimiterConfiguration(perKey: .perSecond(1, burst: 3)))
        let now = at(milliseconds: 0)
        #expect(state.peek("a", now: now) == .allowed(remaining: 2))
        #expect(state.check("a", now: now) == .allowed(remaining: 2), "the peek took nothing")
        #expect(state.tokens(for: "a") == 2)
        #expect(state.peek("a", cost: 2, now: now) == .allowed(remaining: 0))
        #expect(state.check("a", cost: 2, now: now) == .allowed(remaining: 0))
        #expect(state.peek("a", now: now) == .denied(retryAfter: .seconds(1)))
        #expect(state.metrics.allowed == 2)
        #expect(state.metrics.peeked == 3)
    }

    @Test func peekOnAnUnknownKeyIsAllowedAndStoresNothing() throws {
        var state = RateLimiterState<String>(configuration: try RateLimiterConfiguration(perKey: .perSecond(1, burst: 3), maxKeys: 1))
        #expect(state.check("a", now: at(milliseconds: 0)).isAllowed)
        #expect(state.liveKeys == 1)
        #expect(state.peek("new", now: at(milliseconds: 0)) == .allowed(remaining: 2))
        #expect(state.peek("new", cost: 3, now: at(milliseconds: 0)) == .allowed(remaining: 0))
        #expect(state.peek("new", cost: 4, now: at(milliseconds: 0)) == .denied(retryAfter: nil))
        #expect(state.liveKeys == 1)
        #expect(state.tokens(for: "new") == nil)
        #expect(state.tokens(for: "a") == 2, "the cap of one key evicted nobody")
        #expect(state.metrics.evicted == 0)
        #expect(state.metrics.liveKeysHighWaterMark == 1)
    }

    @Test func peekDoesNotKeepAnIdleKeyAlive() throws {
        var state = RateLimiterState<String>(configuration: try RateLimiterConfiguration(perKey: .perSecond(1, burst: 3), idleTimeout: .seconds(60)))
        #expect(state.check("a", now: at(milliseconds: 0)).isAllowed)
        #expect(state.peek("a", now: at(milliseconds: 59_999)) == .allowed(remaining: 2))
        #expect(state.expireIdle(now: at(milliseconds: 60_000)) == 1, "only a check is a use")
        #expect(state.liveKeys == 0)
    }

    @Test func peekThroughTheActorChargesNothing() async throws {
        let system = try ActorSystem.forTesting()
        let limiter = RateLimiter<String>(try RateLimiterConfiguration(perKey: .perSecond(1, burst: 2)))
        try await system.start(limiter, name: "limiter")
        #expect(try await limiter.peek("ann") == .allowed(remaining: 1))
        #expect(try await limiter.check("ann") == .allowed(remaining: 1))
        #expect(try await limiter.check("ann") == .allowed(remaining: 0))
        // The manual clock stands still: exactly one token every second.
        #expect(try await limiter.peek("ann") == .denied(retryAfter: .seconds(1)))
        #expect(try await limiter.peek("bob") == .allowed(remaining: 1))
        let metrics = try await limiter.metrics()
        #expect(metrics.liveKeys == 1)
        #expect(metrics.peeked == 3)
        #expect(metrics.allowed == 2)
        #expect(metrics.denied == 0)
        await system.shutdown()
    }

    @Test func invalidSettingsAreConfigurationErrors() throws {
        #expect(throws: ConfigurationError.self) { try TokenBucketConfiguration(capacity: 0, refill: 1, per: .seconds(1)) }
        #expect(throws: ConfigurationError.self) { try TokenBucketConfiguration(capacity: 1, refill: 0, per: .seconds(1)) }
        #expect(throws: ConfigurationError.self) { try TokenBucketConfiguration(capacity: 1, refill: 1, per: .zero) }
        #expect(throws: ConfigurationError.self) {
            try TokenBucketConfiguration(capacity: Int.max, refill: 1, per: .seconds(1))
        }
        // A bucket that takes 20 minutes to refill cannot be forgotten after 15.
        let slow = try TokenBucketConfiguration(capacity: 20, refill: 1, per: .seconds(60))
        #expect(throws: ConfigurationError.self) { try RateLimiterConfiguration(perKey: slow) }
        #expect(throws: ConfigurationError.self) { try RateLimiterConfiguration(perKey: .perSecond(1, burst: 1), maxKeys: 0) }
    }
}
