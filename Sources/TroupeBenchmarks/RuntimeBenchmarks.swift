import CBenchSupport
import Foundation
import Synchronization
import Troupe

/// The runtime's figures: tell fan-in, ask ping-pong, ring, spawn, keyed memory.
struct RuntimeBenchmarks {
    let harness: Harness

    /// One figure without peers, for profiling.
    func run(only name: String) async throws {
        switch name {
        case "fanin":
            emit(Harness.line("runtime.tell.fanin", value: try await tellFanIn(capacity: Self.burstCapacity), unit: "msgs/s"))
            emit(Harness.line("runtime.tell.fanin.backpressure", value: try await tellFanIn(capacity: 1_024), unit: "msgs/s"))
        case "fanin.burst":
            emit(Harness.line("runtime.tell.fanin", value: try await tellFanIn(capacity: Self.burstCapacity), unit: "msgs/s"))
        case "pingpong": emit(Harness.line("runtime.ask.pingpong", value: try await askPingPong(), unit: "roundtrips/s"))
        case "pingpong.immediate":
            emit(Harness.line("runtime.ask.pingpong.immediate", value: try await askPingPong(immediate: true), unit: "roundtrips/s"))
        case "ring": emit(Harness.line("runtime.ring", value: try await ring(), unit: "hops/s"))
        case "ring.immediate": emit(Harness.line("runtime.ring.immediate", value: try await ring(immediate: true), unit: "hops/s"))
        case "spawn": emit(Harness.line("runtime.spawn", value: try await spawnAndStop(), unit: "actors/s"))
        default: emit(Harness.line("runtime.keyed.memory", value: try await keyedMemory(), unit: "bytes/actor"))
        }
    }

    func run() async throws {
        let beam = BeamPeer.measure(harness: harness)
        let fanin = try await tellFanIn(capacity: Self.burstCapacity)
        let stream = await asyncStreamFanIn()
        let tasks = await taskPerMessageFanIn()
        emit(Harness.line("runtime.tell.fanin", value: fanin, unit: "msgs/s", peer: ("asyncstream-mailbox", stream)))
        emit(Harness.line("runtime.tell.fanin", value: fanin, unit: "msgs/s", peer: ("task-per-message", tasks)))
        if let cast = beam?["fanin-cast"] {
            emit(Harness.line("runtime.tell.fanin", value: fanin, unit: "msgs/s", peer: ("beam-fanin-cast", cast)))
        }
        // The same load into a mailbox of 1,024: senders wait for room (backpressure) on
        // nearly every message. BEAM's mailboxes are unbounded, so it has no equivalent.
        let backpressure = try await tellFanIn(capacity: 1_024)
        emit(Harness.line("runtime.tell.fanin.backpressure", value: backpressure, unit: "msgs/s", peer: ("asyncstream-mailbox", stream)))

        let pingPong = try await askPingPong()
        let native = await nativeActorPingPong()
        emit(Harness.line("runtime.ask.pingpong", value: pingPong, unit: "roundtrips/s", peer: ("swift-actors", native)))
        if let beamPingPong = beam?["pingpong"] {
            emit(Harness.line("runtime.ask.pingpong", value: pingPong, unit: "roundtrips/s", peer: ("beam-pingpong", beamPingPong)))
        }
        // The same with a pong whose handler never suspends (a SynchronousBehavior): each
        // ask runs on the asker's thread in an immediate turn.
        let immediatePingPong = try await askPingPong(immediate: true)
        emit(Harness.line("runtime.ask.pingpong.immediate", value: immediatePingPong, unit: "roundtrips/s", peer: ("swift-actors", native)))
        if let beamPingPong = beam?["pingpong"] {
            emit(Harness.line("runtime.ask.pingpong.immediate", value: immediatePingPong, unit: "roundtrips/s", peer: ("beam-pingpong", beamPingPong)))
        }

        let ringHops = try await ring()
        let immediateRing = try await ring(immediate: true)
        if let beamRing = beam?["ring"] {
            emit(Harness.line("runtime.ring", value: ringHops, unit: "hops/s", peer: ("beam-ring", beamRing)))
            emit(Harness.line("runtime.ring.immediate", value: immediateRing, unit: "hops/s", peer: ("beam-ring", beamRing)))
        } else {
            emit(Harness.line("runtime.ring", value: ringHops, unit: "hops/s"))
            emit(Harness.line("runtime.ring.immediate", value: immediateRing, unit: "hops/s"))
        }

        let spawn = try await spawnAndStop()
        if let beamSpawn = beam?["spawn"] {
            emit(Harness.line("runtime.spawn", value: spawn, unit: "actors/s", peer: ("beam-spawn", beamSpawn)))
        } else {
            emit(Harness.line("runtime.spawn", value: spawn, unit: "actors/s"))
        }

        var memory = keyedMemoryInFreshProcess() ?? 0
        if memory == 0 { memory = try await keyedMemory() }
        if let beamMemory = beam?["process-memory"] {
            emit(Harness.line("runtime.keyed.memory", value: memory, unit: "bytes/actor", peer: ("beam-process", beamMemory)))
        } else {
            emit(Harness.line("runtime.keyed.memory", value: memory, unit: "bytes/actor"))
        }

        // The building blocks built on the runtime (also alone: suite `blocks`).
        try await BlocksBenchmarks(harness: harness).run()
    }

    // MARK: Tell fan-in

    enum CounterMessage: Sendable {
        case increment
    }

    /// Counts increments; opens `done` at `target`.
    struct Counter: Behavior {
        let target: Int
        let done: Gate
        var count = 0

        mutating func receive(_ message: CounterMessage, context: ActorContext<CounterMessage>) async throws {
            count += 1
            if count == target { done.open() }
        }
    }

    enum SenderMessage: Sendable {
        case go(ActorRef<CounterMessage>, count: Int)
    }

    struct Sender: Behavior {
        mutating func receive(_ message: SenderMessage, context: ActorContext<SenderMessage>) async throws {
            guard case .go(let counter, let count) = message else { return }
            for _ in 0..<count { await counter.send(.increment) }
        }
    }

    /// A bounded mailbox big enough for the whole fan-in burst (2^20 messages), so the
    /// figure measures sending, not waiting for room.
    static let burstCapacity = 1 << 20

    /// 1,000 sender actors × 1,000 one-way messages into one actor (suspend policy).
    func tellFanIn(capacity: Int) async throws -> Double {
        let senders = 1_000
        let each = harness.count(1_000)
        let system = ActorSystem(name: "fanin")
        defer { Task { await system.shutdown() } }
        var refs: [ActorRef<SenderMessage>] = []
        for index in 0..<senders {
            refs.append(try await system.spawn("sender-\(index)", mailbox: .init(capacity: 4)) { Sender() })
        }
        let rate = try await harness.rate(operations: senders * each) {
            let done = Gate()
            let counter = try await system.spawn("counter-\(UUID())", mailbox: .init(capacity: capacity)) {
                Counter(target: senders * each, done: done)
            }
            let elapsed = await measure {
                for ref in refs { ref.trySend(.go(counter, count: each)) }
                await done.wait()
            }
            await system.stop(childNamed: counter.path.name)
            return elapsed
        }
        await system.shutdown()
        return rate
    }

    /// Peer: one consumer task draining an `AsyncStream` that 1,000 tasks yield into.
    func asyncStreamFanIn() async -> Double {
        let senders = 1_000
        let each = harness.count(1_000)
        return await harness.rate(operations: senders * each) {
            await measure {
                let (stream, continuation) = AsyncStream<Int>.makeStream()
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        var count = 0
                        for await _ in stream {
                            count += 1
                            if count == senders * each { break }
                        }
                    }
                    for _ in 0..<senders {
                        group.addTask { for value in 0..<each { continuation.yield(value) } }
                    }
                }
                continuation.finish()
            }
        }
    }

    actor NativeCounter {
        var count = 0
        let target: Int
        let done: Gate

        init(target: Int, done: Gate) {
            self.target = target
            self.done = done
        }

        func increment() {
            count += 1
            if count == target { done.open() }
        }
    }

    /// Peer: an unstructured `Task` per message, each awaiting a native actor.
    func taskPerMessageFanIn() async -> Double {
        let senders = 1_000
        let each = harness.count(1_000)
        return await harness.rate(operations: senders * each) {
            let done = Gate()
            let counter = NativeCounter(target: senders * each, done: done)
            return await measure {
                await withTaskGroup(of: Void.self) { group in
                    for _ in 0..<senders {
                        group.addTask {
                            for _ in 0..<each { Task { await counter.increment() } }
                        }
                    }
                }
                await done.wait()
            }
        }
    }

    // MARK: Ask ping-pong

    enum PongMessage: Sendable {
        case ping(Int, ReplyTo<Int>)
    }

    struct Pong: Behavior {
        var pings = 0

        mutating func receive(_ message: PongMessage, context: ActorContext<PongMessage>) async throws {
            guard case .ping(let value, let reply) = message else { return }
            pings += 1
            reply.reply(value + 1)
        }
    }

    /// Pong whose handler never suspends: asks to it run in immediate turns.
    struct ImmediatePong: SynchronousBehavior {
        var pings = 0

        mutating func receiveSynchronously(_ message: PongMessage, context: ActorContext<PongMessage>) throws {
            guard case .ping(let value, let reply) = message else { return }
            pings += 1
            reply.reply(value + 1)
        }
    }

    enum PingMessage: Sendable {
        case run(Int, ActorRef<PongMessage>, ReplyTo<Int>)
    }

    struct Ping: Behavior {
        var last = 0

        mutating func receive(_ message: PingMessage, context: ActorContext<PingMessage>) async throws {
            guard case .run(let count, let pong, let reply) = message else { return }
            for _ in 0..<count {
                last = try await pong.ask { .ping(last, $0) }
            }
            reply.reply(last)
        }
    }

    /// 1,000,000 awaited round trips between two actors (each reply stored in state).
    func askPingPong(immediate: Bool = false) async throws -> Double {
        let count = harness.count(1_000_000)
        let system = ActorSystem(name: "pingpong")
        let pong: ActorRef<PongMessage> = if immediate {
            try await system.spawn("pong", mailbox: .init(capacity: 16)) { ImmediatePong() }
        } else {
            try await system.spawn("pong", mailbox: .init(capacity: 16)) { Pong() }
        }
        let ping = try await system.spawn("ping", mailbox: .init(capacity: 16)) { Ping() }
        let rate = try await harness.rate(operations: count) {
            try await measure {
                _ = try await ping.ask(timeout: .seconds(600)) { .run(count, pong, $0) }
            }
        }
        await system.shutdown()
        return rate
    }

    actor NativePong {
        var pings = 0
        func ping(_ value: Int) -> Int {
            pings += 1
            return value + 1
        }
    }

    actor NativePing {
        var last = 0
        func run(_ count: Int, _ pong: NativePong) async -> Int {
            for _ in 0..<count { last = await pong.ping(last) }
            return last
        }
    }

    /// Peer: the same with native Swift actors, both touching state.
    func nativeActorPingPong() async -> Double {
        let count = harness.count(1_000_000)
        return await harness.rate(operations: count) {
            let pong = NativePong()
            let ping = NativePing()
            return await measure { _ = await ping.run(count, pong) }
        }
    }

    // MARK: Ring

    enum RingMessage: Sendable {
        case next(ActorRef<RingMessage>)
        case token(Int)
    }

    struct RingNode: Behavior {
        let gates: GateBox
        var next: ActorRef<RingMessage>?

        mutating func receive(_ message: RingMessage, context: ActorContext<RingMessage>) async throws {
            switch message {
            case .next(let ref):
                next = ref
            case .token(let remaining):
                if remaining == 0 { gates.current.open() } else { await next?.send(.token(remaining - 1)) }
            }
        }
    }

    /// A ring node whose handler never suspends (it passes the token with `trySend`).
    struct ImmediateRingNode: SynchronousBehavior {
        let gates: GateBox
        var next: ActorRef<RingMessage>?

        mutating func receiveSynchronously(_ message: RingMessage, context: ActorContext<RingMessage>) throws {
            switch message {
            case .next(let ref):
                next = ref
            case .token(let remaining):
                if remaining == 0 { gates.current.open() } else { next?.trySend(.token(remaining - 1)) }
            }
        }
    }

    /// 503 actors passing one token 1,000,000 hops.
    func ring(immediate: Bool = false) async throws -> Double {
        let hops = harness.count(1_000_000)
        let system = ActorSystem(name: "ring")
        let gates = GateBox()
        var nodes: [ActorRef<RingMessage>] = []
        for index in 0..<503 {
            let node: ActorRef<RingMessage> = if immediate {
                try await system.spawn("node-\(index)", mailbox: .init(capacity: 16)) { ImmediateRingNode(gates: gates) }
            } else {
                try await system.spawn("node-\(index)", mailbox: .init(capacity: 16)) { RingNode(gates: gates) }
            }
            nodes.append(node)
        }
        for (index, node) in nodes.enumerated() { node.trySend(.next(nodes[(index + 1) % nodes.count])) }
        let rate = await harness.rate(operations: hops) {
            let done = Gate()
            // Written before the token leaves; the token's mailbox hand-offs order it
            // before the node that reads it.
            gates.current = done
            return await measure {
                nodes[0].trySend(.token(hops))
                await done.wait()
            }
        }
        await system.shutdown()
        return rate
    }

    // MARK: Spawn

    enum SpawnerMessage: Sendable {
        case spawn(Int, ReplyTo<Void>)
    }

    struct Quick: Behavior {
        let stopped: @Sendable () -> Void

        mutating func started(context: ActorContext<Never>) async throws {
            context.stop()
        }

        func receive(_ message: Never, context: ActorContext<Never>) async throws {}

        mutating func stopping(context: ActorContext<Never>) async {
            stopped()
        }
    }

    struct Spawner: Behavior {
        let mailbox = try! MailboxConfiguration(capacity: 1)

        mutating func receive(_ message: SpawnerMessage, context: ActorContext<SpawnerMessage>) async throws {
            guard case .spawn(let count, let reply) = message else { return }
            let remaining = Countdown(count) { reply.reply(()) }
            for index in 0..<count {
                try context.spawn("c\(index)", mailbox: mailbox, restart: .temporary) {
                    Quick { remaining.tick() }
                }
            }
        }
    }

    /// Spawns 100,000 actors that stop as soon as they started.
    func spawnAndStop() async throws -> Double {
        let count = harness.count(100_000)
        let system = ActorSystem(name: "spawn")
        var round = 0
        let rate = try await harness.rate(operations: count) {
            round += 1
            let spawner = try await system.spawn("spawner-\(round)", mailbox: .init(capacity: 4)) { Spawner() }
            let elapsed = try await measure {
                try await spawner.ask(timeout: .seconds(600)) { .spawn(count, $0) }
            }
            await system.stop(childNamed: spawner.path.name)
            return elapsed
        }
        await system.shutdown()
        return rate
    }

    // MARK: Keyed memory

    struct Idle: Behavior {
        var touched = 0
        mutating func receive(_ message: Int, context: ActorContext<Int>) async throws { touched += message }
    }

    /// The keyed-memory figure measured in a child process, from a clean start (in this
    /// process, earlier benchmarks left freed memory behind that would blur the delta).
    func keyedMemoryInFreshProcess() -> Double? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["memory", "1", "\(harness.scale)"]
        let pipe = Pipe()
        process.standardOutput = pipe
        do { try process.run() } catch { return nil }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("BENCH runtime.keyed.memory") }),
              let field = line.split(separator: " ").first(where: { $0.hasPrefix("value=") })
        else { return nil }
        return Double(field.dropFirst("value=".count))
    }

    /// Heap bytes per idle keyed actor, with 100,000 keys alive (every allocation the
    /// actors hold: cells, tasks and their frames, mailboxes, registry entries).
    func keyedMemory() async throws -> Double {
        let keys = harness.count(100_000)
        let system = ActorSystem(name: "memory")
        let keyed = try KeyedActors<Int, Int>(
            options: KeyedOptions(maxLive: keys, idleTimeout: nil, mailbox: .init(capacity: 16))
        ) { _ in Idle() }
        try await system.start(keyed, name: "idle")
        let heapBefore = troupe_bench_heap_in_use()
        let residentBefore = residentBytes()
        for key in 0..<keys { await keyed.send(1, to: key) }
        while keyed.metrics.live < keys { await Task.yield() }
        // Let every actor handle its message and park.
        while system.allMetrics().dropFirst(2).contains(where: { $0.processed == 0 }) { await Task.yield() }
        let heapAfter = troupe_bench_heap_in_use()
        let residentAfter = residentBytes()
        emit("# keyed memory: heap \(Int(heapAfter - heapBefore) / keys) bytes/actor, resident \((residentAfter - residentBefore) / keys) bytes/actor")
        await system.shutdown()
        return Double(Int(heapAfter - heapBefore)) / Double(keys)
    }
}

/// Resident memory of this process in bytes (`/proc/self/statm`), printed beside the heap
/// figure: it includes allocator slack and page granularity.
func residentBytes() -> Int {
    guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = statm.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// A one-shot signal for benchmarks.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }
}

/// A mutable holder for the current round's gate.
// Unchecked Sendable: written only between rounds, before the token is sent; every
// read happens after the token passed through mailbox locks that order it.
final class GateBox: @unchecked Sendable {
    var current = Gate()
}

/// Calls `done` after `count` ticks.
final class Countdown: Sendable {
    private let remaining: Atomic<Int>
    private let done: @Sendable () -> Void

    init(_ count: Int, done: @escaping @Sendable () -> Void) {
        remaining = Atomic(count)
        self.done = done
    }

    func tick() {
        if remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { done() }
    }
}
