import Testing
import Troupe
import TroupeTesting

@Suite struct TTLCacheTests {
    private func at(seconds: Int64) -> ClockInstant {
        ClockInstant(offset: .seconds(seconds))
    }

    /// Asks for metrics until `condition` holds (real-time bound), for counters that move
    /// when the actor has handled messages sent by other tasks.
    private func waitForMetrics(
        _ cache: TTLCache<String, String, Int>, _ description: String, _ condition: (TTLCacheMetrics) -> Bool
    ) async throws {
        let deadline = ContinuousClock.now.advanced(by: TestDefaults.timeout)
        while !condition(try await cache.metrics()) {
            guard ContinuousClock.now < deadline else { throw TestFailure("timed out waiting for \(description)") }
            await Task.yield()
        }
    }

    private func startCache(
        clock: ManualClock = ManualClock(), ttl: Duration = .seconds(60), maxEntries: Int = 100
    ) async throws -> (ActorSystem, TTLCache<String, String, Int>) {
        let system = try ActorSystem.forTesting(clock: clock)
        let cache = TTLCache<String, String, Int>(try TTLCacheConfiguration(ttl: ttl, maxEntries: maxEntries))
        try await system.start(.supervisor("services", SupervisorSpec(children: [cache.childSpec("cache")])))
        return (system, cache)
    }

    // MARK: Single flight

    @Test func aHundredConcurrentMissesRunExactlyOneLoad() async throws {
        let (system, cache) = try await startCache()
        let loads = SharedCount()
        let release = Latch()
        let values = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<100 {
                group.addTask {
                    try await cache.value(for: "weights", owner: "global") {
                        loads.increment()
                        await release.wait()
                        return 42
                    }
                }
            }
            try await waitForMetrics(cache, "100 misses") { $0.misses == 100 }
            release.open()
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(values == Array(repeating: 42, count: 100))
        #expect(loads.value == 1)
        let metrics = try await cache.metrics()
        #expect(metrics.loads == 1)
        #expect(metrics.coalesced == 99)
        #expect(try await cache.value(for: "weights", owner: "global") { 0 } == 42, "now a hit")
        #expect(try await cache.metrics().hits == 1)
        await system.shutdown()
    }

    @Test func aFailingLoadFailsAllItsWaitersAndIsNotCached() async throws {
        let (system, cache) = try await startCache()
        let release = Latch()
        let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<10 {
                group.addTask {
                    do throws(TTLCacheError) {
                        return "value \(try await cache.value(for: "k", owner: "o") { await release.wait(); throw TestFailure("db down") })"
                    } catch .loadFailed(let error) {
                        return "failed: \(error)"
                    }
                }
            }
            try await waitForMetrics(cache, "10 misses") { $0.misses == 10 }
            release.open()
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(outcomes == Array(repeating: "failed: db down", count: 10))
        var metrics = try await cache.metrics()
        #expect(metrics.loads == 1)
        #expect(metrics.loadFailures == 1)
        #expect(metrics.entries == 0)
        #expect(try await cache.value(for: "k", owner: "o") { 7 } == 7, "the failure was not cached: a new load")
        metrics = try await cache.metrics()
        #expect(metrics.loads == 2)
        #expect(metrics.entries == 1)
        await system.shutdown()
    }

    // MARK: Invalidation

    @Test func invalidatingOneOwnerLeavesEveryOtherOwnersEntries() async throws {
        let (system, cache) = try await startCache()
        let owners = ["alice", "bob", "carol"]
        // The same key texts for every owner: the reported bug's pattern `chat:*:50:0`
        // matched them all.
        let keys = ["chat:history:50:0", "chat:history:50:1", "profile"]
        for owner in owners {
            for (index, key) in keys.enumerated() {
                _ = try await cache.value(for: key, owner: owner) { index }
            }
        }
        #expect(try await cache.invalidate(owner: "alice") == 3)
        #expect(try await cache.invalidate(owner: "alice") == 0, "nothing left of alice's")
        let before = try await cache.metrics()
        for owner in ["bob", "carol"] {
            for (index, key) in keys.enumerated() {
                #expect(try await cache.value(for: key, owner: owner) { -1 } == index, "\(owner)'s \(key) kept")
            }
        }
        for key in keys {
            #expect(try await cache.value(for: key, owner: "alice") { 100 } == 100, "alice's \(key) reloaded")
        }
        let after = try await cache.metrics()
        #expect(after.hits - before.hits == 6)
        #expect(after.loads - before.loads == 3)
        #expect(after.invalidated == 3)
        await system.shutdown()
    }

    @Test func aKeyInvalidationDropsThatEntryOnly() async throws {
        let (system, cache) = try await startCache()
        _ = try await cache.value(for: "a", owner: "u") { 1 }
        _ = try await cache.value(for: "b", owner: "u") { 2 }
        _ = try await cache.value(for: "a", owner: "v") { 3 }
        #expect(try await cache.invalidate("a", owner: "u") == 1)
        #expect(try await cache.value(for: "a", owner: "u") { 10 } == 10)
        #expect(try await cache.value(for: "b", owner: "u") { 20 } == 2)
        #expect(try await cache.value(for: "a", owner: "v") { 30 } == 3)
        await system.shutdown()
    }

    @Test func aLoadInFlightDuringAnInvalidationIsServedToItsWaitersButNeverStored() {
        var state = TTLCacheState<String, String, Int>(configuration: try! TTLCacheConfiguration())
        guard case .load(let stale) = state.lookup("k", owner: "u", now: at(seconds: 0)) else {
            Issue.record("expected a load")
            return
        }
        let dropped = state.invalidate(owner: "u")
        #expect(dropped == 0, "nothing stored yet, but the load is detached")
        guard case .load(let fresh) = state.lookup("k", owner: "u", now: at(seconds: 1)) else {
            Issue.record("a lookup after the invalidation must not join the stale load")
            return
        }
        #expect(fresh > stale)
        let storedStale = state.loaded(version: stale, .success(1), now: at(seconds: 2))
        #expect(!storedStale, "the stale value is not stored")
        #expect(state.peek("k", owner: "u", now: at(seconds: 2)) == nil)
        let storedFresh = state.loaded(version: fresh, .success(2), now: at(seconds: 3))
        #expect(storedFresh)
        #expect(state.peek("k", owner: "u", now: at(seconds: 3)) == 2)
        #expect(state.version(of: "k", owner: "u") == fresh)
    }

    // MARK: Expiry and size

    @Test func entriesExpireAfterTheirTTLOnTheManualClock() async throws {
        let clock = ManualClock()
        let (system, cache) = try await startCache(clock: clock, ttl: .seconds(60))
        let loads = SharedCount()
        let load: @Sendable () async throws -> Int = {
            loads.increment()
            return loads.value
        }
        #expect(try await cache.value(for: "w", owner: "g", load: load) == 1)
        clock.advance(by: .seconds(60) - .nanoseconds(1))
        #expect(try await cache.value(for: "w", owner: "g", load: load) == 1, "still fresh")
        clock.advance(by: .nanoseconds(1))
        #expect(try await cache.value(for: "w", owner: "g", load: load) == 2, "expired: loaded again")
        _ = try await cache.value(for: "other", owner: "g", load: load)
        // The sweep (every TTL) drops what expired even if nobody asks for it again.
        clock.advance(by: .seconds(120))
        let metrics = try await cache.metrics()
        #expect(metrics.entries == 0)
        #expect(metrics.expired == 3)
        await system.shutdown()
    }

    @Test func theSizeCapEvictsTheLeastRecentlyUsed() {
        var state = TTLCacheState<Int, Int, Int>(configuration: try! TTLCacheConfiguration(maxEntries: 3))
        let now = at(seconds: 0)
        for key in 0..<3 {
            guard case .load(let version) = state.lookup(key, owner: 0, now: now) else { return }
            state.loaded(version: version, .success(key), now: now)
        }
        guard case .hit = state.lookup(0, owner: 0, now: now) else {
            Issue.record("0 is cached")
            return
        }
        guard case .load(let version) = state.lookup(3, owner: 0, now: now) else { return }
        state.loaded(version: version, .success(3), now: now)
        #expect(state.count == 3)
        #expect(state.metrics.evicted == 1)
        #expect(state.peek(1, owner: 0, now: now) == nil, "1 was the least recently used")
        #expect(state.peek(0, owner: 0, now: now) == 0)
        let dropped = state.invalidate(owner: 0)
        #expect(dropped == 3, "the owner index forgot the evicted key")
    }

    @Test func invalidSettingsAreConfigurationErrors() {
        #expect(throws: ConfigurationError.self) { try TTLCacheConfiguration(ttl: .zero) }
        #expect(throws: ConfigurationError.self) { try TTLCacheConfiguration(maxEntries: 0) }
        #expect(throws: ConfigurationError.self) { try TTLCacheConfiguration(sweepInterval: .seconds(-1)) }
    }
}
