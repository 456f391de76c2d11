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
        clock: ManualClock = ManualClock(), ttl: Duration = .seconds(60), maxEntries: Int = 100,
        loadTimeout: Duration = .seconds(30), maxWaitersPerLoad: Int = 1_024, maxLoadsInFlight: Int = 256
    ) async throws -> (ActorSystem, TTLCache<String, String, Int>) {
        let system = try ActorSystem.forTesting(clock: clock)
        let cache = TTLCache<String, String, Int>(try TTLCacheConfiguration(
            ttl: ttl, maxEntries: maxEntries, loadTimeout: loadTimeout,
            maxWaitersPerLoad: maxWaitersPerLoad, maxLoadsInFlight: maxLoadsInFlight
        ))
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

    /// A load that never ends by itself; cancelling it ends it (and is recorded).
    private func hangingLoad(cancelled: TestProbe<String>) -> @Sendable () async throws -> Int {
        {
            let hang = Latch()
            await withTaskCancellationHandler {
                await hang.wait()
            } onCancel: {
                hang.open()
                cancelled.record("cancelled")
            }
            try Task.checkCancellation()
            return -1
        }
    }

    /// What a lookup ended with, as text.
    private func outcome(of lookup: () async throws(TTLCacheError) -> Int) async -> String {
        do throws(TTLCacheError) {
            return "value \(try await lookup())"
        } catch .loadTimedOut(let after) {
            return "timed out after \(after)"
        } catch .tooManyWaiters(let limit) {
            return "too many waiters (\(limit))"
        } catch .tooManyLoads(let limit) {
            return "too many loads (\(limit))"
        } catch {
            return "\(error)"
        }
    }

    // MARK: Bounds on loads

    @Test func aLoadThatNeverEndsFailsItsWaitersAtTheLoadTimeoutIsCancelledAndNotCached() async throws {
        let clock = ManualClock()
        // Shorter than the ask timeout (5 s on the same clock), so the load timeout decides.
        let (system, cache) = try await startCache(clock: clock, loadTimeout: .seconds(2))
        let (cancelled, outcomes) = (TestProbe<String>(), TestProbe<String>())
        let load = hangingLoad(cancelled: cancelled)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 {
                group.addTask { outcomes.record(await self.outcome { () async throws(TTLCacheError) in try await cache.value(for: "k", owner: "o", load: load) }) }
            }
            try await waitForMetrics(cache, "3 lookups wait for one load") { $0.misses == 3 && $0.coalesced == 2 }
            clock.advance(by: .seconds(2) - .nanoseconds(1))
            #expect(try await cache.metrics().loadTimeouts == 0, "not yet")
            #expect(outcomes.pending.isEmpty)
            clock.advance(by: .nanoseconds(1))
            for _ in 0..<3 {
                #expect(try await outcomes.next() == "timed out after 2.0 seconds")
            }
            try await group.waitForAll()
        }
        try await cancelled.expect("cancelled")
        try await waitForMetrics(cache, "the load's task has ended") { $0.loadsInFlight == 0 }
        var metrics = try await cache.metrics()
        #expect(metrics.loads == 1)
        #expect(metrics.loadTimeouts == 1)
        #expect(metrics.loadFailures == 0, "a timeout is counted as such, not as a failure")
        #expect(metrics.entries == 0)
        #expect(try await cache.value(for: "k", owner: "o") { 7 } == 7, "nothing was cached: a fresh load")
        metrics = try await cache.metrics()
        #expect(metrics.loads == 2)
        #expect(metrics.entries == 1)
        await system.shutdown()
        #expect(system.liveTaskCount == 0)
    }

    @Test func aLoadHasAtMostItsWaiterLimitAndTheNextMissIsRefusedAtOnce() async throws {
        let (system, cache) = try await startCache(maxWaitersPerLoad: 3)
        let release = Latch()
        let outcomes = TestProbe<String>()
        let load: @Sendable () async throws -> Int = {
            await release.wait()
            return 42
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 {
                group.addTask { outcomes.record(await self.outcome { () async throws(TTLCacheError) in try await cache.value(for: "k", owner: "o", load: load) }) }
            }
            try await waitForMetrics(cache, "3 lookups wait") { $0.misses == 3 }
            let fourth = await outcome { () async throws(TTLCacheError) in try await cache.value(for: "k", owner: "o", load: load) }
            #expect(fourth == "too many waiters (3)")
            #expect(outcomes.pending.isEmpty, "the waiters still wait")
            #expect(try await cache.metrics().rejected == 1)
            // Another address is not affected.
            #expect(try await cache.value(for: "other", owner: "o") { 1 } == 1)
            release.open()
            try await group.waitForAll()
        }
        #expect(outcomes.allEvents == Array(repeating: "value 42", count: 3))
        #expect(try await cache.metrics().loads == 2)
        await system.shutdown()
    }

    @Test func missesBeyondTheLoadsInFlightAreRefusedAtOnce() async throws {
        let (system, cache) = try await startCache(maxLoadsInFlight: 2)
        let release = Latch()
        let load: @Sendable () async throws -> Int = {
            await release.wait()
            return 1
        }
        try await withThrowingTaskGroup(of: Int.self) { group in
            for key in ["a", "b"] {
                group.addTask { try await cache.value(for: key, owner: "o", load: load) }
            }
            try await waitForMetrics(cache, "2 loads in flight") { $0.loadsInFlight == 2 }
            let third = await outcome { () async throws(TTLCacheError) in try await cache.value(for: "c", owner: "o", load: load) }
            #expect(third == "too many loads (2)")
            release.open()
            #expect(try await group.reduce(0, +) == 2)
        }
        #expect(try await cache.value(for: "c", owner: "o") { 3 } == 3, "room again")
        await system.shutdown()
    }

    @Test func aTimedOutLoadKeepsItsPlaceUntilItEndsAndItsValueIsNeverStored() {
        var state = TTLCacheState<String, String, Int>(configuration: try! TTLCacheConfiguration(maxLoadsInFlight: 1))
        guard case .load(let hung) = state.lookup("k", owner: "u", now: at(seconds: 0)) else {
            Issue.record("expected a load")
            return
        }
        let first = state.timedOut(version: hung)
        let second = state.timedOut(version: hung)
        #expect(first)
        #expect(!second, "once")
        guard case .rejected(.tooManyLoads(limit: 1)) = state.lookup("k", owner: "u", now: at(seconds: 1)) else {
            Issue.record("the timed-out load still runs and holds the only place")
            return
        }
        let stored = state.loaded(version: hung, .success(1), now: at(seconds: 2))
        #expect(!stored, "a timed-out load's value is never stored")
        #expect(state.metrics.loadsInFlight == 0)
        #expect(state.metrics.loadFailures == 0)
        guard case .load(let fresh) = state.lookup("k", owner: "u", now: at(seconds: 3)) else {
            Issue.record("a fresh load once the place is free")
            return
        }
        #expect(fresh > hung)
        let unknown = state.timedOut(version: 999)
        #expect(!unknown, "unknown loads are ignored")
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
        #expect(throws: ConfigurationError.self) { try TTLCacheConfiguration(loadTimeout: .zero) }
        #expect(throws: ConfigurationError.self) { try TTLCacheConfiguration(maxWaitersPerLoad: 0) }
        #expect(throws: ConfigurationError.self) { try TTLCacheConfiguration(maxLoadsInFlight: 0) }
        let defaults = try? TTLCacheConfiguration()
        #expect(defaults?.loadTimeout == .seconds(30))
        #expect(defaults?.maxWaitersPerLoad == 1_024)
        #expect(defaults?.maxLoadsInFlight == 256)
    }
}
