import Foundation
import Synchronization
import Troupe

/// The building blocks' figures (`make bench-runtime`, or the `blocks` suite alone):
/// - `blocks.bus.publish`: one publisher actor, 100 subscriber actors, events delivered per
///   second (each event reaches all 100), beside 100 `AsyncStream`s fed by one task and
///   drained by 100 consumer tasks;
/// - `blocks.ratelimit.check`: checks per second over 10,000 keys through the limiter
///   actor, from 4 actors asking concurrently, beside 4 tasks checking token buckets in a
///   `Mutex`-protected dictionary;
/// - `blocks.cache.hit`: hits per second through the cache actor from 4 actors, beside
///   4 tasks reading a `Mutex`-protected dictionary.
/// The `.embedded` figures are the same state machines held directly (as an actor that
/// owns its limiter or cache would hold them), without an actor hop, beside the same peers.
struct BlocksBenchmarks {
    let harness: Harness

    static let callers = 4
    static let keys = 10_000

    func run() async throws {
        let bus = try await busPublish()
        let streams = await asyncStreamFanOut()
        emit(Harness.line("blocks.bus.publish", value: bus, unit: "msgs/s", peer: ("asyncstream-per-subscriber", streams)))

        let limiter = try await rateLimitCheck()
        let limiterPeer = await mutexBucketsCheck()
        emit(Harness.line("blocks.ratelimit.check", value: limiter, unit: "checks/s", peer: ("mutex-dictionary", limiterPeer)))
        emit(Harness.line("blocks.ratelimit.check.embedded", value: try embeddedRateLimitCheck(), unit: "checks/s", peer: ("mutex-dictionary", limiterPeer)))

        let cache = try await cacheHit()
        let cachePeer = await mutexDictionaryHit()
        emit(Harness.line("blocks.cache.hit", value: cache, unit: "hits/s", peer: ("mutex-dictionary", cachePeer)))
        emit(Harness.line("blocks.cache.hit.embedded", value: try embeddedCacheHit(), unit: "hits/s", peer: ("mutex-dictionary", cachePeer)))
    }

    // MARK: Event bus

    /// Counts the events it receives; ticks the round's countdown at each round's end.
    struct Subscriber: Behavior {
        let rounds: RoundCountdown
        let target: Int
        var received = 0

        mutating func receive(_ message: Int, context: ActorContext<Int>) async throws {
            received += 1
            if received % target == 0 { rounds.tick() }
        }
    }

    struct Publisher: Behavior {
        let bus: EventBus<Int, Int>

        func receive(_ message: (count: Int, done: ReplyTo<Void>), context: ActorContext<(count: Int, done: ReplyTo<Void>)>) async throws {
            for value in 0..<message.count { await bus.publish(value, to: 0) }
            message.done.reply(())
        }
    }

    /// 100 subscribers with lossless queues (the publisher waits for room): every event is
    /// delivered to every subscriber.
    func busPublish() async throws -> Double {
        let subscribers = 100
        let events = harness.count(20_000)
        let system = ActorSystem(name: "bus")
        let bus = EventBus<Int, Int>()
        try await system.start(bus, name: "bus")
        let queue = try SubscriberQueue(capacity: 1_024, overflow: .blockPublisher(timeout: .seconds(60)))
        let rounds = RoundCountdown()
        for index in 0..<subscribers {
            let subscriber = try await system.spawn("s\(index)", mailbox: .init(capacity: 1_024)) {
                Subscriber(rounds: rounds, target: events)
            }
            try await bus.subscribe(subscriber, to: 0, queue: queue)
        }
        let publisher = try await system.spawn("publisher", mailbox: .init(capacity: 1)) { Publisher(bus: bus) }
        let rate = try await harness.rate(operations: events * subscribers) {
            let done = Gate()
            rounds.start(subscribers) { done.open() }
            return try await measure {
                try await publisher.ask(timeout: .seconds(600)) { (events, $0) }
                await done.wait()
            }
        }
        await system.shutdown()
        return rate
    }

    /// Peer: one task yields each event into 100 unbounded `AsyncStream`s; 100 tasks drain
    /// them.
    func asyncStreamFanOut() async -> Double {
        let subscribers = 100
        let events = harness.count(20_000)
        return await harness.rate(operations: events * subscribers) {
            await measure {
                let streams = (0..<subscribers).map { _ in AsyncStream<Int>.makeStream() }
                await withTaskGroup(of: Int.self) { group in
                    for (stream, _) in streams {
                        group.addTask {
                            var received = 0
                            for await _ in stream {
                                received += 1
                                if received == events { break }
                            }
                            return received
                        }
                    }
                    for value in 0..<events {
                        for (_, continuation) in streams { continuation.yield(value) }
                    }
                    for (_, continuation) in streams { continuation.finish() }
                    for await _ in group {}
                }
            }
        }
    }

    // MARK: Rate limiter

    struct Checker: Behavior {
        let limiter: RateLimiter<Int>
        var allowed = 0

        mutating func receive(_ message: (range: Range<Int>, done: ReplyTo<Int>), context: ActorContext<(range: Range<Int>, done: ReplyTo<Int>)>) async throws {
            for step in message.range {
                if try await limiter.check(step % BlocksBenchmarks.keys).isAllowed { allowed += 1 }
            }
            message.done.reply(allowed)
        }
    }

    /// Generous buckets (the figure measures deciding, not denying), all 10,000 keys live.
    static func limiterConfiguration() throws -> RateLimiterConfiguration {
        try RateLimiterConfiguration(perKey: .perSecond(1_000_000, burst: 1_000_000), maxKeys: keys)
    }

    func rateLimitCheck() async throws -> Double {
        let each = harness.count(250_000)
        let system = ActorSystem(name: "limiter")
        let limiter = RateLimiter<Int>(try Self.limiterConfiguration())
        try await system.start(limiter, name: "limiter")
        var checkers: [ActorRef<(range: Range<Int>, done: ReplyTo<Int>)>] = []
        for index in 0..<Self.callers {
            checkers.append(try await system.spawn("checker-\(index)", mailbox: .init(capacity: 1)) { Checker(limiter: limiter) })
        }
        let rate = try await harness.rate(operations: each * Self.callers) {
            try await measure {
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for (index, checker) in checkers.enumerated() {
                        group.addTask { try await checker.ask(timeout: .seconds(600)) { ((index * each)..<((index + 1) * each), $0) } }
                    }
                    for try await _ in group {}
                }
            }
        }
        await system.shutdown()
        return rate
    }

    /// The same checks on one `RateLimiterState` held directly, on one thread.
    func embeddedRateLimitCheck() throws -> Double {
        let total = harness.count(1_000_000) * Self.callers
        var state = RateLimiterState<Int>(configuration: try Self.limiterConfiguration())
        let clock = ContinuousClock()
        let origin = clock.now
        var allowed = 0
        let start = clock.now
        for step in 0..<total {
            let now = ClockInstant(offset: origin.duration(to: clock.now))
            if state.check(step % Self.keys, now: now).isAllowed { allowed += 1 }
        }
        let elapsed = start.duration(to: clock.now)
        precondition(allowed > 0)
        return Double(total) / elapsed.seconds
    }

    /// A token bucket as simple as it gets: tokens as a `Double`, refilled on each check.
    struct SimpleBucket: Sendable {
        var tokens: Double
        var last: ContinuousClock.Instant
    }

    /// Peer: 4 tasks checking buckets in one `Mutex`-protected dictionary of 10,000 keys.
    func mutexBucketsCheck() async -> Double {
        let each = harness.count(1_000_000)
        let clock = ContinuousClock()
        let buckets = Shared<[Int: SimpleBucket]>([:])
        return await harness.rate(operations: each * Self.callers) {
            await measure {
                await withTaskGroup(of: Int.self) { group in
                    for index in 0..<Self.callers {
                        group.addTask {
                            var allowed = 0
                            for step in (index * each)..<((index + 1) * each) {
                                let now = clock.now
                                let passed = buckets.mutex.withLock { buckets in
                                    var bucket = buckets[step % Self.keys] ?? SimpleBucket(tokens: 1_000_000, last: now)
                                    bucket.tokens = min(1_000_000, bucket.tokens + bucket.last.duration(to: now).seconds * 1_000_000)
                                    bucket.last = now
                                    let passed = bucket.tokens >= 1
                                    if passed { bucket.tokens -= 1 }
                                    buckets[step % Self.keys] = bucket
                                    return passed
                                }
                                if passed { allowed += 1 }
                            }
                            return allowed
                        }
                    }
                    for await _ in group {}
                }
            }
        }
    }

    // MARK: Cache

    struct Reader: Behavior {
        let cache: TTLCache<Int, Int, Int>
        var sum = 0

        mutating func receive(_ message: (range: Range<Int>, done: ReplyTo<Int>), context: ActorContext<(range: Range<Int>, done: ReplyTo<Int>)>) async throws {
            for step in message.range {
                let key = step % BlocksBenchmarks.keys
                sum &+= try await cache.value(for: key, owner: key & 7) { key }
            }
            message.done.reply(sum)
        }
    }

    func cacheHit() async throws -> Double {
        let each = harness.count(250_000)
        let system = ActorSystem(name: "cache")
        let cache = TTLCache<Int, Int, Int>(try TTLCacheConfiguration(ttl: .seconds(3_600), maxEntries: Self.keys))
        try await system.start(cache, name: "cache")
        for key in 0..<Self.keys { _ = try await cache.value(for: key, owner: key & 7) { key } }
        var readers: [ActorRef<(range: Range<Int>, done: ReplyTo<Int>)>] = []
        for index in 0..<Self.callers {
            readers.append(try await system.spawn("reader-\(index)", mailbox: .init(capacity: 1)) { Reader(cache: cache) })
        }
        let rate = try await harness.rate(operations: each * Self.callers) {
            try await measure {
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for (index, reader) in readers.enumerated() {
                        group.addTask { try await reader.ask(timeout: .seconds(600)) { ((index * each)..<((index + 1) * each), $0) } }
                    }
                    for try await _ in group {}
                }
            }
        }
        let metrics = try await cache.metrics()
        precondition(metrics.loads == Self.keys, "every timed lookup must be a hit")
        await system.shutdown()
        return rate
    }

    /// The same lookups on one `TTLCacheState` held directly, on one thread.
    func embeddedCacheHit() throws -> Double {
        let total = harness.count(1_000_000) * Self.callers
        var state = TTLCacheState<Int, Int, Int>(configuration: try TTLCacheConfiguration(ttl: .seconds(3_600), maxEntries: Self.keys))
        let now = ClockInstant.zero
        for key in 0..<Self.keys {
            if case .load(let version) = state.lookup(key, owner: key & 7, now: now) {
                state.loaded(version: version, .success(key), now: now)
            }
        }
        var sum = 0
        let elapsed = ContinuousClock().measure {
            for step in 0..<total {
                let key = step % Self.keys
                if case .hit(let value) = state.lookup(key, owner: key & 7, now: now) { sum &+= value }
            }
        }
        precondition(sum > 0 && state.metrics.loads == Self.keys)
        return Double(total) / elapsed.seconds
    }

    /// Peer: 4 tasks reading one `Mutex`-protected dictionary of 10,000 entries.
    func mutexDictionaryHit() async -> Double {
        let each = harness.count(1_000_000)
        let table = Shared<[Int: Int]>(Dictionary(uniqueKeysWithValues: (0..<Self.keys).map { ($0, $0) }))
        return await harness.rate(operations: each * Self.callers) {
            await measure {
                await withTaskGroup(of: Int.self) { group in
                    for index in 0..<Self.callers {
                        group.addTask {
                            var sum = 0
                            for step in (index * each)..<((index + 1) * each) {
                                sum &+= table.mutex.withLock { $0[step % Self.keys] ?? 0 }
                            }
                            return sum
                        }
                    }
                    for await sum in group { precondition(sum > 0) }
                }
            }
        }
    }
}

/// A countdown that can be re-armed for each round of a benchmark, shared by actors made
/// once (their factories capture it).
final class RoundCountdown: Sendable {
    private let current = Mutex<Countdown?>(nil)

    func start(_ count: Int, done: @escaping @Sendable () -> Void) {
        current.withLock { $0 = Countdown(count, done: done) }
    }

    func tick() {
        current.withLock { $0 }?.tick()
    }
}

/// A `Mutex` that tasks share: the peers' whole synchronisation.
final class Shared<Value: Sendable>: Sendable {
    let mutex: Mutex<Value>

    init(_ value: Value) {
        mutex = Mutex(value)
    }
}
