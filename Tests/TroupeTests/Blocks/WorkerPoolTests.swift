import Testing
import Troupe
import TroupeTesting

/// How many operations run at once, and the most that ever did.
// Unchecked Sendable: `now` and `mostAtOnce` are only accessed while `lock` is held.
final class Concurrency: @unchecked Sendable {
    private let lock = Lock()
    private var now = 0
    private var mostAtOnce = 0

    func enter() {
        lock.withLock {
            now += 1
            mostAtOnce = max(mostAtOnce, now)
        }
    }

    func leave() {
        lock.withLock { now -= 1 }
    }

    var most: Int { lock.withLock { mostAtOnce } }
}

@Suite struct WorkerPoolTests {
    private func startPool(
        maxConcurrent: Int, queueCapacity: Int, clock: ManualClock = ManualClock()
    ) async throws -> (ActorSystem, WorkerPool) {
        let system = try ActorSystem.forTesting(clock: clock)
        let pool = WorkerPool(try WorkerPoolConfiguration(maxConcurrent: maxConcurrent, queueCapacity: queueCapacity))
        try await system.start(.supervisor("services", SupervisorSpec(children: [pool.childSpec("pool")])))
        return (system, pool)
    }

    private func waitForMetrics(_ pool: WorkerPool, _ description: String, _ condition: (WorkerPoolMetrics) -> Bool) async throws {
        let deadline = ContinuousClock.now.advanced(by: TestDefaults.timeout)
        while !condition(try await pool.metrics()) {
            guard ContinuousClock.now < deadline else { throw TestFailure("timed out waiting for \(description)") }
            await Task.yield()
        }
    }

    @Test func neverMoreThanTheLimitRunAtOnce() async throws {
        let (system, pool) = try await startPool(maxConcurrent: 3, queueCapacity: 20)
        let concurrency = Concurrency()
        let release = Latch()
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for value in 0..<20 {
                group.addTask {
                    try await pool.run {
                        concurrency.enter()
                        await release.wait()
                        concurrency.leave()
                        return value
                    }
                }
            }
            try await release.waitForArrivals(3)
            try await waitForMetrics(pool, "17 waiting") { $0.queued == 17 }
            #expect(release.arrivalCount == 3, "the others wait for a worker")
            release.open()
            return try await group.reduce(0, +)
        }
        #expect(results == (0..<20).reduce(0, +))
        #expect(concurrency.most == 3)
        // A caller has its result a moment before its job's worker is released.
        try await waitForMetrics(pool, "every worker released") { $0.completed == 20 && $0.running == 0 }
        #expect(try await pool.metrics().runningHighWaterMark == 3)
        await system.shutdown()
    }

    @Test func aFullQueueRefusesAtOnceAndTheJobNeverRuns() async throws {
        let (system, pool) = try await startPool(maxConcurrent: 1, queueCapacity: 2)
        let release = Latch()
        let ran = SharedCount()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 {
                group.addTask { try await pool.run { await release.wait(); ran.increment() } }
            }
            try await release.waitForArrivals(1)
            try await waitForMetrics(pool, "2 waiting") { $0.queued == 2 }
            do throws(WorkerPoolError) {
                try await pool.run { ran.increment() }
                Issue.record("a job beyond the queue was accepted")
            } catch .queueFull(let capacity) {
                #expect(capacity == 2)
            }
            release.open()
            try await group.waitForAll()
        }
        #expect(ran.value == 3)
        #expect(try await pool.metrics().rejected == 1)
        await system.shutdown()
    }

    @Test func deadlinesEndWaitingJobsAndCancelRunningOnes() async throws {
        let clock = ManualClock()
        let (system, pool) = try await startPool(maxConcurrent: 1, queueCapacity: 4, clock: clock)
        let events = TestProbe<String>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do throws(WorkerPoolError) {
                    try await pool.run(timeout: .seconds(2)) {
                        do {
                            try await clock.sleep(for: .seconds(3600))
                        } catch {
                            events.record("running job saw \(type(of: error))")
                            throw error
                        }
                    }
                } catch {
                    events.record("running: \(error)")
                }
            }
            try await waitForMetrics(pool, "one running") { $0.running == 1 }
            group.addTask {
                do throws(WorkerPoolError) {
                    try await pool.run(timeout: .seconds(1)) { events.record("the waiting job ran") }
                } catch {
                    events.record("waiting: \(error)")
                }
            }
            try await waitForMetrics(pool, "one waiting") { $0.queued == 1 }
            try await clock.waitForTimers(count: 3)
            clock.advance(by: .seconds(1))
            try await events.expect("waiting: \(WorkerPoolError.timedOut(after: .seconds(1), started: false))")
            clock.advance(by: .seconds(1))
            let outcomes = Set([try await events.next(), try await events.next()])
            #expect(outcomes == [
                "running: \(WorkerPoolError.timedOut(after: .seconds(2), started: true))",
                "running job saw CancellationError",
            ])
            try await group.waitForAll()
        }
        try await waitForMetrics(pool, "the cancelled job released its worker") { $0.running == 0 }
        let metrics = try await pool.metrics()
        #expect(metrics.timedOut == 2)
        #expect(metrics.queued == 0)
        await system.shutdown()
        try events.expectNoPendingEvents()
    }

    @Test func cancellingTheCallerCancelsItsJob() async throws {
        let clock = ManualClock()
        let (system, pool) = try await startPool(maxConcurrent: 1, queueCapacity: 4, clock: clock)
        let events = TestProbe<String>()
        let outcome = await withTaskGroup(of: String.self) { group in
            group.addTask {
                do throws(WorkerPoolError) {
                    try await pool.run {
                        do { try await clock.sleep(for: .seconds(3600)) } catch { events.record("job cancelled") }
                    }
                    return "returned"
                } catch {
                    return "\(error)"
                }
            }
            try? await clock.waitForTimers(count: 1)
            group.cancelAll()
            return await group.next()!
        }
        #expect(outcome == "\(WorkerPoolError.cancelled)")
        try await events.expect("job cancelled")
        try await waitForMetrics(pool, "its worker is free") { $0.running == 0 && $0.cancelled == 1 }
        await system.shutdown()
    }

    /// Whatever ends the pool's incarnation, no caller is left waiting: a restart (its own
    /// failure here) and a stop each fail the running and the waiting job.
    @Test(arguments: ["restart", "stop"])
    func theEndOfThePoolsIncarnationFailsEveryJobItHolds(_ ending: String) async throws {
        let clock = ManualClock()
        let (system, pool) = try await startPool(maxConcurrent: 1, queueCapacity: 4, clock: clock)
        let path = try #require(ActorPath("/root/services/pool"))
        let outcomes = TestProbe<String>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for name in ["running", "waiting"] {
                group.addTask {
                    do throws(WorkerPoolError) {
                        try await pool.run { try await clock.sleep(for: .seconds(3600)) }
                        outcomes.record("\(name) returned")
                    } catch {
                        outcomes.record("\(name): \(error)")
                    }
                }
                try await waitForMetrics(pool, "\(name)") { $0.running + $0.queued == (name == "running" ? 1 : 2) }
            }
            if ending == "restart" {
                #expect(system.injectFault(at: path))
                // The message that fails; its reply channel is dropped with the incarnation.
                _ = try? await pool.metrics()
            } else {
                await system.shutdown()
            }
            let stopped = "\(WorkerPoolError.unavailable(.stopped(path)))"
            #expect(Set([try await outcomes.next(), try await outcomes.next()]) == ["running: \(stopped)", "waiting: \(stopped)"])
            try await group.waitForAll()
        }
        if ending == "restart" {
            // The next incarnation takes new work.
            #expect(try await pool.run { 42 } == 42)
            await system.shutdown()
        }
        #expect(system.liveTaskCount == 0)
    }

    // MARK: Fan-out, fan-in

    @Test func aFanOutDeadlineCancelsTheStragglers() async throws {
        let clock = ManualClock()
        let stragglers = TestProbe<String>()
        let straggler: @Sendable () async throws -> Int = {
            do {
                try await clock.sleep(for: .seconds(3600))
                return -1
            } catch {
                stragglers.record("cancelled")
                throw error
            }
        }
        let operations: [@Sendable () async throws -> Int] = [{ 1 }, straggler, { 3 }, straggler]
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                let outcomes = await FanOut.settled(operations, deadline: .seconds(1), clock: clock)
                #expect(outcomes.map(\.value) == [1, nil, 3, nil])
                #expect(outcomes.map { if case .timedOut = $0 { true } else { false } } == [false, true, false, true])
            }
            // The deadline and both stragglers' sleeps.
            try await clock.waitForTimers(count: 3)
            clock.advance(by: .seconds(1))
            try await stragglers.expect(sequence: ["cancelled", "cancelled"])
            try await group.waitForAll()
        }

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do throws(FanOutError) {
                    _ = try await FanOut.all(operations, deadline: .seconds(1), clock: clock)
                    Issue.record("all succeeded past the deadline")
                } catch .deadlineExceeded(let completed, let total) {
                    #expect(completed == 2)
                    #expect(total == 4)
                }
            }
            try await clock.waitForTimers(count: 3)
            clock.advance(by: .seconds(1))
            try await stragglers.expect(sequence: ["cancelled", "cancelled"])
            try await group.waitForAll()
        }
        #expect(clock.scheduledCount == 0, "no timer left behind")
    }

    @Test func aFailFastFanOutCancelsTheRestAtTheFirstError() async throws {
        let clock = ManualClock()
        let cancelled = TestProbe<Int>()
        let slow: @Sendable (Int) -> @Sendable () async throws -> Int = { index in
            {
                do {
                    try await clock.sleep(for: .seconds(3600))
                } catch {
                    cancelled.record(index)
                    throw error
                }
                return index
            }
        }
        let operations: [@Sendable () async throws -> Int] = [slow(0), { throw TestFailure("boom") }, slow(2)]
        do throws(FanOutError) {
            _ = try await FanOut.all(operations, deadline: .seconds(10), clock: clock)
            Issue.record("no error")
        } catch .failed(let index, let error) {
            #expect(index == 1)
            #expect(error as? TestFailure == TestFailure("boom"))
        }
        #expect(Set([try await cancelled.next(), try await cancelled.next()]) == [0, 2])
        #expect(try await FanOut.all([{ 1 }, { 2 }], deadline: .seconds(1), clock: clock) == [1, 2])
        #expect(try await FanOut.all([@Sendable () async throws -> Int](), deadline: .seconds(1), clock: clock) == [])
    }

    @Test func invalidSettingsAreConfigurationErrors() {
        #expect(throws: ConfigurationError.self) { try WorkerPoolConfiguration(maxConcurrent: 0) }
        #expect(throws: ConfigurationError.self) { try WorkerPoolConfiguration(queueCapacity: 0) }
        #expect(throws: ConfigurationError.self) { try WorkerPoolConfiguration(defaultTimeout: .zero) }
    }
}
