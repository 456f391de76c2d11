import Synchronization
import Testing
import TroupeTesting
@testable import TroupeStore

/// The pool under more demand than it has connections: bounds hold, deadlines are each
/// request's own, nothing leaks.
@Suite("Pool exhaustion", .timeLimit(.minutes(1)))
struct PoolExhaustionTests {
    @Test("1,000 concurrent queries on 8 connections: at most 8 in use, each succeeds or times out at its own deadline, nothing leaks", arguments: DriverKind.allCases)
    func thousandQueriesOnEightConnections(_ kind: DriverKind) async throws {
        let options = try PoolOptions(minConnections: 0, maxConnections: 8, maxWaiters: 1_000, defaultTimeout: .seconds(60))
        try await PoolFixture.with(kind, options: options) { fixture in
            let pool = fixture.pool
            let gate = BlockingGate()
            let gauge = ConcurrencyGauge()
            let ran = Locked<Set<Int>>([])
            let results = Locked<[Int: Result<Int64, DatabaseError>]>([:])
            let requests = 1_000

            let expectedTimeouts = try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<requests {
                    group.addTask {
                        // Even requests give up after 1 s; odd ones would wait an hour.
                        let timeout: Duration = index.isMultiple(of: 2) ? .seconds(1) : .seconds(3_600)
                        let result: Result<Int64, DatabaseError>
                        do throws(DatabaseError) {
                            result = .success(
                                try await pool.withConnection(timeout: timeout) { connection throws(DatabaseError) in
                                    gauge.enter()
                                    defer { gauge.leave() }
                                    ran.withLock { _ = $0.insert(index) }
                                    gate.wait()  // every connection busy until the test opens the gate
                                    return try connection.queryFirst("SELECT $1", [.integer(Int64(index))])!.decode(Int64.self, at: 0)
                                }
                            )
                        } catch {
                            result = .failure(error)
                        }
                        results.withLock { $0[index] = result }
                    }
                }

                // 8 requests hold the 8 connections; the other 992 wait in the queue.
                await gate.arrivals(8)
                try await fixture.metrics(when: "8 in use and 992 waiting") { $0.inUse == 8 && $0.waiting == 992 }
                let running = ran.withLock { $0 }
                #expect(running.count == 8)

                // Just before the short deadline nothing has failed.
                fixture.clock.advance(by: .milliseconds(999))
                #expect(try await pool.metrics().deadlineExpired == 0)
                #expect(results.withLock { $0.isEmpty })

                // At the short deadline exactly the waiting even requests fail, with a timeout,
                // while the gate is still closed (so none of it is a late success).
                fixture.clock.advance(by: .milliseconds(1))
                let expectedTimeouts = (0..<requests).filter { $0.isMultiple(of: 2) && !running.contains($0) }.count
                try await fixture.metrics(when: "\(expectedTimeouts) deadlines expired") { $0.deadlineExpired == expectedTimeouts }
                try await eventually("the timed-out callers resumed") { results.withLock { $0.count } == expectedTimeouts }
                for (index, result) in results.withLock({ $0 }) {
                    #expect(index.isMultiple(of: 2) && !running.contains(index))
                    guard case .failure(let error) = result else {
                        Issue.record("request \(index) finished while every connection was blocked")
                        continue
                    }
                    #expect(error.kind == .timeout)
                    #expect(error.reason.contains("1.0 seconds") || error.reason.contains("1 second"))
                }

                gate.open()
                try await group.waitForAll()
                return expectedTimeouts
            }

            let final = results.withLock { $0 }
            #expect(final.count == requests)
            var succeeded = 0
            for (index, result) in final {
                switch result {
                case .success(let value):
                    #expect(value == Int64(index))
                    succeeded += 1
                case .failure(let error):
                    #expect(error.kind == .timeout)
                }
            }
            let timedOut = requests - succeeded
            #expect(timedOut == expectedTimeouts)
            #expect(gauge.highest == 8, "never more than 8 bodies at once")

            // Nothing leaks: every connection is back and idle, nobody waits.
            let metrics = try await fixture.metrics(when: "all connections idle") { $0.inUse == 0 && $0.idle == 8 }
            #expect(metrics.connections == 8)
            #expect(metrics.openConnections == 8)
            #expect(metrics.waiting == 0)
            #expect(metrics.backingOff == 0)
            #expect(metrics.peakInUse == 8)
            #expect(metrics.peakWaiting == 992)
            #expect(metrics.succeeded == succeeded)
            #expect(metrics.deadlineExpired == timedOut)
            #expect(metrics.errors.timeout == timedOut)
            #expect(metrics.errors.total == timedOut)
            #expect(metrics.waitTime.count == UInt64(succeeded))
        }
    }
}
