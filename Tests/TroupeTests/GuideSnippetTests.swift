import Glibc
import Testing
import Troupe
import TroupeTesting

// Every Swift snippet of Documentation/Embedding.md, and the example in `ActorSystem`'s doc
// comment, compiled here so that none can rot. Each snippet is copied as it stands in the
// guide into a function of an enum named after its section (the enum holds the types the
// snippet declares, and stand-ins for what it only names, such as a `Pool` behavior or a
// `database`); a test runs it where running says something. The guide's test snippet is a
// test itself. Change a snippet here and in the guide together.
//
// Not compiled here: the Package.swift fragment at the top of the guide (a manifest is no
// test code). Backend.md's snippet uses the backend, so TroupeBackendTests compiles it
// (GuideSnippetTests.swift there); the test below checks it against the guide too.
// Architecture.md has no Swift snippet.

@Suite struct GuideSnippetTests {
    /// The guides and the files that compile their snippets agree: every line of every
    /// Swift snippet of Embedding.md (the manifest lines excepted) is a line of this file,
    /// and every line of Backend.md's is one of TroupeBackendTests/GuideSnippetTests.swift;
    /// so a snippet changed in a guide alone fails here.
    @Test(arguments: [
        ("Documentation/Embedding.md", "Tests/TroupeTests/GuideSnippetTests.swift", 19),
        ("Documentation/Backend.md", "Tests/TroupeBackendTests/GuideSnippetTests.swift", 1),
    ])
    func everySnippetOfTheGuideIsCompiled(guide: String, compiledIn file: String, snippetCount: Int) throws {
        let root = #filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast(3).joined(separator: "/")
        let text = try #require(readText("\(root)/\(guide)"))
        let compiled = Set(try #require(readText("\(root)/\(file)")).split(separator: "\n").map(trimmed))
        let snippets = swiftSnippets(of: text)
        #expect(snippets.count == snippetCount)
        for snippet in snippets where snippet.first != "// Package.swift" {
            let missing = snippet.map(trimmed).filter { !$0.isEmpty && !compiled.contains($0) }
            #expect(missing.isEmpty, "\(guide)'s snippet \"\(snippet.first ?? "")\" is not compiled in \(file) as written")
        }
    }

    @Test func anActor() async throws {
        let (outcome, value) = try await GuideAnActor.snippet()
        #expect(outcome == .enqueued)
        #expect(value == 6)
    }

    @Test func immediateTurns() async throws {
        let system = try ActorSystem.forTesting()
        let counter = try await system.spawn("counter", mailbox: mailbox(8)) { GuideImmediateTurns.Counter() }
        for _ in 0..<3 { await counter.send(.add(2)) }
        let count = try await counter.ask { .read($0) }
        #expect(count == 6)
        await system.shutdown()
    }

    @Test func theActorSystemDocComment() async throws {
        #expect(try await GuideAnActor.actorSystemDocComment() == 5)
    }

    @Test func requestReply() async throws {
        let system = try ActorSystem.forTesting()
        let account = try await system.spawn("account", mailbox: mailbox(8)) { GuideRequestReply.Account() }
        #expect(try await GuideRequestReply.snippet(account: account) == 100)
        await system.shutdown()
    }

    @Test func supervision() async throws {
        let system = try ActorSystem.forTesting()
        #expect(try await GuideSupervision.snippet(system: system) == 0)
        #expect(system.lookup(ActorPath("/root/storage/writer")!, as: GuideSupervision.WriterMessage.self) != nil)
        await system.shutdown()
    }

    @Test func administeringASupervisor() async throws {
        let system = try ActorSystem.forTesting()
        _ = try await GuideSupervision.snippet(system: system)
        var seen: ([SupervisorRef.Child], SupervisorRef.ChildCounts)?
        try await GuideSupervision.administration(system: system) { seen = ($0, $1) }
        let (children, counts) = try #require(seen)
        #expect(children.map(\.name) == ["pool", "writer"])
        #expect(children.allSatisfy { $0.status == .running && $0.kind == .worker })
        #expect(counts.specs == 2 && counts.active == 2 && counts.supervisors == 0 && counts.workers == 2)
        #expect(system.lookup(ActorPath("/root/storage/audit")!, as: GuideSupervision.AuditMessage.self) == nil)
        await system.shutdown()
    }

    @Test func keyedActors() async throws {
        let system = try ActorSystem.forTesting()
        #expect(try await GuideKeyed.snippet(system: system) == "alice said hello 1 time(s)")
        await system.shutdown()
    }

    @Test func contextTimersBackgroundWorkDeathWatch() async throws {
        let system = try ActorSystem.forTesting()
        let other = try await system.spawn("other", mailbox: mailbox(8)) { GuideContext.Other() }
        let job = try await system.spawn("job", mailbox: mailbox(8), restart: .transient) { GuideContext.Job() }
        job.trySend(.begin(other))
        let reason = try await job.termination()
        // Both stop lines run; the later one decides how the incarnation ends.
        #expect("\(reason)" == "shutdown: upstream closed", "the snippet's last line ends the actor")
        await system.shutdown()
    }

    @Test func configuration() async throws {
        let system = try GuideConfiguration.snippet()
        #expect(system.configuration.threads == 2)
        #expect(system.configuration.randomSeed == 42)
        #expect(system.configuration.logLevel == .warning)
        await system.shutdown()
    }

    @Test func buildingBlocks() async throws {
        let system = try ActorSystem.forTesting()
        try await GuideBuildingBlocks.snippet(system: system)
        #expect(system.tree().contains("/root/services/limiter"))
        #expect(system.tree().contains("/root/services/cache"))
        await system.shutdown()
    }

    @Test func eventBus() async throws {
        let system = try ActorSystem.forTesting()
        let room = try await system.spawn("room", mailbox: mailbox(8)) { GuideEventBus.Listener() }
        let audit = try await system.spawn("audit", mailbox: mailbox(8)) { GuideEventBus.Listener() }
        let connection = GuideEventBus.Connection()
        let report = try await GuideEventBus.snippet(system: system, room: room, audit: audit, connection: connection)
        #expect(report.queued == 3, "two actors and a sink")
        #expect(connection.outbound.received == ["posted hello"])
        await system.shutdown()
    }

    @Test func rateLimiter() async throws {
        let system = try ActorSystem.forTesting()
        #expect(try await GuideRateLimiter.snippet(system: system) == ["handled GET"])
        await system.shutdown()
    }

    @Test func ttlCache() async throws {
        let system = try ActorSystem.forTesting()
        #expect(try await GuideTTLCache.snippet(system: system).count == 50)
        await system.shutdown()
    }

    @Test func circuitBreaker() async throws {
        let system = try ActorSystem.forTesting()
        #expect(try await GuideCircuitBreaker.snippet(system: system) == "charged order 7")
        await system.shutdown()
    }

    @Test func workerPool() async throws {
        let system = try ActorSystem.forTesting()
        #expect(try await GuideWorkerPool.snippet(system: system) == "rendered photo.jpg")
        await system.shutdown()
    }

    @Test func fanOut() async throws {
        let system = try ActorSystem.forTesting()
        let counter = try await system.spawn("counter", mailbox: mailbox(8)) { GuideFanOut.Counter() }
        #expect(try await counter.ask { .count($0) } == [1, 2, 3])
        await system.shutdown()
    }

    @Test func blockingPool() async throws {
        let system = try ActorSystem.forTesting()
        let (rows, hash) = try await GuideBlockingPool.snippet(system: system)
        #expect(rows == ["row of SELECT ..."])
        #expect(hash == "hashed secret")
        await system.shutdown()
    }

    @Test func metricsRegistry() async throws {
        let system = try ActorSystem.forTesting()
        let (body, p99) = try GuideMetrics.snippet(system: system)
        #expect(body.contains("chat_commands_total{command=\"GET\"} 1"))
        #expect(body.contains("troupe_mailbox_depth{actor=\"/root\"} 0"))
        #expect(p99 != nil)
        await system.shutdown()
    }
}

// MARK: - Reading the guide

/// The lines of each ```swift block of a Markdown text.
private func swiftSnippets(of markdown: String) -> [[String]] {
    var snippets: [[String]] = []
    var current: [String]?
    for line in markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
        if current == nil, line == "```swift" {
            current = []
        } else if let lines = current, line == "```" {
            snippets.append(lines)
            current = nil
        } else {
            current?.append(line)
        }
    }
    return snippets
}

private func trimmed(_ line: some StringProtocol) -> String {
    String(line.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
}

/// The file at `path` as UTF-8 text, or nil if it cannot be read.
private func readText(_ path: String) -> String? {
    guard let file = fopen(path, "r") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = fread(&chunk, 1, chunk.count, file)
        bytes.append(contentsOf: chunk[0..<count])
        if count < chunk.count { break }
    }
    return String(decoding: bytes, as: UTF8.self)
}

// MARK: - An actor

/// Embedding.md, "An actor"; and `ActorSystem`'s doc comment.
enum GuideAnActor {
    enum CounterMessage: Sendable {
        case add(Int)
        case get(ReplyTo<Int>)
    }

    struct Counter: Behavior {
        var value = 0

        mutating func receive(_ message: CounterMessage, context: ActorContext<CounterMessage>) async throws {
            switch message {
            case .add(let amount): value += amount
            case .get(let reply): reply.reply(value)
            }
        }
    }

    static func snippet() async throws -> (SendOutcome, Int) {
        let system = ActorSystem(name: "shop")
        let counter = try await system.spawn("counter", mailbox: .init(capacity: 1_000)) { Counter() }
        await counter.send(.add(5))                      // may wait for room (backpressure)
        let outcome = counter.trySend(.add(1))           // never waits; tells you what happened
        let value = try await counter.ask { .get($0) }   // request/reply with a deadline
        await system.shutdown()
        return (outcome, value)
    }

    /// `ActorSystem`'s doc comment (Sources/Troupe/System/ActorSystem.swift).
    static func actorSystemDocComment() async throws -> Int {
        let system = ActorSystem(name: "shop")
        let counter = try await system.spawn("counter", mailbox: .init(capacity: 1_000)) { Counter() }
        await counter.send(.add(5))
        let value = try await counter.ask { .get($0) }
        await system.shutdown()
        return value
    }
}

// MARK: - Immediate turns

/// Embedding.md, "Handlers that never await: immediate turns".
enum GuideImmediateTurns {
    enum CounterMessage: Sendable {
        case add(Int)
        case read(ReplyTo<Int>)
    }

    struct Counter: SynchronousBehavior {
        var count = 0

        mutating func receiveSynchronously(_ message: CounterMessage, context: ActorContext<CounterMessage>) throws {
            switch message {
            case .add(let amount): count += amount
            case .read(let reply): reply.reply(count)
            }
        }
    }
}

// MARK: - Request/reply

/// Embedding.md, "Request/reply".
enum GuideRequestReply {
    enum AccountMessage: Sendable {
        case balance(replyTo: ReplyTo<Int>)
    }

    struct Account: Behavior {
        func receive(_ message: AccountMessage, context: ActorContext<AccountMessage>) async throws {
            switch message {
            case .balance(let reply): reply.reply(100)
            }
        }
    }

    static func snippet(account: ActorRef<AccountMessage>) async throws -> Int {
        let balance = try await account.ask(timeout: .seconds(2)) { .balance(replyTo: $0) }
        return balance
    }
}

// MARK: - Supervision

/// Embedding.md, "Supervision".
enum GuideSupervision {
    enum PoolMessage: Sendable {
        case stats(ReplyTo<Int>)
    }

    struct Pool: Behavior {
        var queries = 0

        func receive(_ message: PoolMessage, context: ActorContext<PoolMessage>) async throws {
            switch message {
            case .stats(let reply): reply.reply(queries)
            }
        }
    }

    enum WriterMessage: Sendable {
        case write(String)
    }

    struct Writer: Behavior {
        func receive(_ message: WriterMessage, context: ActorContext<WriterMessage>) async throws {}
    }

    static func snippet(system: ActorSystem) async throws -> Int {
        let pool = ChildRef<PoolMessage>()
        let storage = try SupervisorSpec(strategy: .oneForAll, children: [
            pool.childSpec("pool", mailbox: .init(capacity: 1_024)) { Pool() },
            .actor("writer", mailbox: .init(capacity: 1_024), restart: .permanent) { Writer() },
        ])
        try await system.start(.supervisor("storage", storage))
        let stats = try await pool.ask { .stats($0) }
        return stats
    }

    enum AuditMessage: Sendable {
        case record(String)
    }

    struct Audit: Behavior {
        func receive(_ message: AuditMessage, context: ActorContext<AuditMessage>) async throws {}
    }

    /// "Administering a supervisor at run time", on the tree of ``snippet(system:)``.
    static func administration(
        system: ActorSystem,
        report: ([SupervisorRef.Child], SupervisorRef.ChildCounts) -> Void
    ) async throws {
        guard let storage = system.supervisor(at: ActorPath("/root/storage")!) else { return }
        try await storage.startChild(.actor("audit", mailbox: .init(capacity: 64)) { Audit() })
        try await storage.terminateChild("audit")        // stopped: kept, its name taken
        try await storage.restartChild("audit")          // the same actor, running again
        try await storage.terminateChild("audit")
        try await storage.deleteChild("audit")           // gone: the name is free
        let children = try await storage.whichChildren() // name, path, status, kind, restart type
        let counts = try await storage.countChildren()   // specs, active, supervisors, workers
        report(children, counts)
    }
}

// MARK: - Keyed actors

/// Embedding.md, "Keyed actors".
enum GuideKeyed {
    enum SessionMessage: Sendable {
        case hello
        case state(ReplyTo<String>)
    }

    struct Session: Behavior {
        let user: String
        var hellos = 0

        mutating func receive(_ message: SessionMessage, context: ActorContext<SessionMessage>) async throws {
            switch message {
            case .hello: hellos += 1
            case .state(let reply): reply.reply("\(user) said hello \(hellos) time(s)")
            }
        }
    }

    static func snippet(system: ActorSystem) async throws -> String {
        let sessions = KeyedActors<String, SessionMessage>(
            options: try .init(maxLive: 10_000, idleTimeout: .seconds(600), mailbox: .init(capacity: 64))
        ) { user in Session(user: user) }
        try await system.start(sessions, name: "sessions")
        await sessions.send(.hello, to: "alice")
        let state = try await sessions.ask("alice") { .state($0) }
        return state
    }
}

// MARK: - Context: timers, background work, death watch

/// Embedding.md, "Context: timers, background work, death watch".
enum GuideContext {
    enum JobMessage: Sendable {
        case begin(ActorRef<Int>)
        case flush
        case tick
        case loaded(Result<Int, any Error>)
    }

    struct Job: Behavior {
        func receive(_ message: JobMessage, context: ActorContext<JobMessage>) async throws {
            switch message {
            case .begin(let other): try GuideContext.snippet(context: context, other: other)
            case .flush, .tick, .loaded: break
            }
        }
    }

    struct Other: Behavior {
        func receive(_ message: Int, context: ActorContext<Int>) async throws {}
    }

    static func backgroundWork() async {}

    static func load() async throws -> Int { 42 }

    static func snippet(context: ActorContext<JobMessage>, other: ActorRef<Int>) throws {
        context.startTimer("flush", after: .seconds(1), message: .flush)       // once
        try context.startPeriodicTimer("tick", every: .seconds(5), message: .tick) // no drift
        context.cancelTimer("flush")                                           // never delivered after this
        context.run { await backgroundWork() }                                 // cancelled when the incarnation ends
        context.pipeToSelf({ try await load() }, map: { .loaded($0) })         // result comes back as a message
        context.watch(other)                                                   // receiveSignal(.terminated(path, reason))
        context.stop()                                                         // after this message: .normal
        context.shutdown(reason: "upstream closed")                            // after this message: .shutdown(reason:)
    }
}

// MARK: - Configuration

/// Embedding.md, "Configuration".
enum GuideConfiguration {
    static func snippet() throws -> ActorSystem {
        let system = ActorSystem(name: "shop", configuration: try .init(
            threads: 2,                 // executor threads (default: one per core)
            clock: SystemClock(),       // or ManualClock() in tests
            askTimeout: .seconds(5),
            rootSupervisor: try SupervisorSpec(strategy: .oneForOne, children: []),
            randomSeed: 42,             // repeatable backoff jitter
            logLevel: .warning,
            immediateTurnDepth: 4,      // nested immediate turns per thread (0: off)
            idleTaskRelease: .milliseconds(10)  // when an idle actor lets its task go (0: always, nil: never)
        ))
        return system
    }
}

// MARK: - Testing supervisor-failure scenarios

/// Embedding.md, "Testing supervisor-failure scenarios": the snippet is a test.
@Suite struct GuideTestingScenario {
    enum WorkerMessage: Sendable {
        case ping
    }

    struct Worker: Behavior {
        func receive(_ message: WorkerMessage, context: ActorContext<WorkerMessage>) async throws {}
    }

    @Test func oneForAllRestartsEveryone() async throws {
        let system = try ActorSystem.forTesting()          // manual clock, fixed seed
        let a = ChildRef<WorkerMessage>()                  // typed refs, valid across restarts
        let b = ChildRef<WorkerMessage>()
        let c = ChildRef<WorkerMessage>()
        let sup = try await system.start(.supervisor("sup", SupervisorSpec(strategy: .oneForAll, children: [
            a.childSpec("a", mailbox: .init(capacity: 16)) { Worker() },
            b.childSpec("b", mailbox: .init(capacity: 16)) { Worker() },
            c.childSpec("c", mailbox: .init(capacity: 16)) { Worker() },
        ])))
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system, under: sup)
        system.injectFault(at: b)                          // b throws on its next message
        b.trySend(.ping)
        try await lifecycle.expect(sequence: [
            .failed(b),
            .stopped(c), .stopped(a),
            .started(a), .started(b), .started(c),
        ])
        await system.shutdown()
    }
}

// MARK: - Building blocks

/// Embedding.md, "Building blocks".
enum GuideBuildingBlocks {
    struct Message: Sendable {}

    static func snippet(system: ActorSystem) async throws {
        let limiter = RateLimiter<String>(try RateLimiterConfiguration(perKey: .perSecond(5, burst: 10)))
        let cache = TTLCache<String, String, [Message]>(try TTLCacheConfiguration(ttl: .seconds(60)))
        let services = try SupervisorSpec(children: [limiter.childSpec("limiter"), cache.childSpec("cache")])
        try await system.start(.supervisor("services", services))
    }
}

/// Embedding.md, "Event bus".
enum GuideEventBus {
    enum RoomEvent: Sendable {
        case posted(String)
    }

    struct Listener: Behavior {
        func receive(_ message: RoomEvent, context: ActorContext<RoomEvent>) async throws {}
    }

    /// A connection's outbound buffer: takes up to 8 events.
    final class Outbound: EventSink, @unchecked Sendable {
        // Unchecked Sendable: `events` is guarded by `lock`.
        private let lock = Lock()
        private var events: [String] = []

        func offer(_ event: RoomEvent) -> Bool {
            lock.withLock {
                guard events.count < 8 else { return false }
                if case .posted(let text) = event { events.append("posted \(text)") }
                return true
            }
        }

        var received: [String] { lock.withLock { events } }
    }

    struct Connection: Sendable {
        let outbound = Outbound()
    }

    static func snippet(
        system: ActorSystem, room: ActorRef<RoomEvent>, audit: ActorRef<RoomEvent>, connection: Connection
    ) async throws -> PublishReport {
        let message = "hello"
        let bus = EventBus<String, RoomEvent>()
        try await system.start(bus, name: "bus")
        try await bus.subscribe(room, to: "lobby", queue: .init(capacity: 256, overflow: .dropOldest))
        try await bus.subscribe(audit, to: "lobby", queue: .init(capacity: 1_024, overflow: .blockPublisher(timeout: .seconds(1))))
        let pushes = try await bus.subscribe(sink: connection.outbound, to: "lobby")   // offer(_:) -> Bool
        let report = await bus.publish(.posted(message), to: "lobby")   // queued / dropped / disconnected counts
        try await bus.unsubscribe([pushes])                             // when the connection closes
        bus.tryUnsubscribe([pushes])                                    // the same, never waiting
        return report
    }
}

/// Embedding.md, "Rate limiter" (placed in a tree first, as every block is).
enum GuideRateLimiter {
    typealias UserID = String

    static func snippet(system: ActorSystem) async throws -> [String] {
        let user: UserID = "alice"
        let request = "GET"
        var replies: [String] = []
        func handle(_ request: String) async throws { replies.append("handled \(request)") }
        func reply(_ text: String) { replies.append(text) }

        let limiter = RateLimiter<UserID>(try RateLimiterConfiguration(
            perKey: .perSecond(5, burst: 10), global: .perSecond(2_000, burst: 2_000)
        ))
        try await system.start(limiter, name: "limiter")
        switch try await limiter.check(user) {
        case .allowed: try await handle(request)
        case .denied(let retryAfter): reply("-BUSY retry in \(retryAfter ?? .seconds(1))")
        }
        return replies
    }
}

/// Embedding.md, "TTL cache" (placed in a tree first, as every block is).
enum GuideTTLCache {
    typealias UserID = String
    struct Message: Sendable {}

    struct Database: Sendable {
        func history(of user: UserID, limit: Int, offset: Int) async throws -> [Message] {
            Array(repeating: Message(), count: limit)
        }
    }

    static func snippet(system: ActorSystem) async throws -> [Message] {
        let user: UserID = "alice"
        let database = Database()

        let history = TTLCache<UserID, String, [Message]>(try TTLCacheConfiguration(ttl: .seconds(60)))
        try await system.start(history, name: "history")
        let page = try await history.value(for: "history:50:0", owner: user) {
            try await database.history(of: user, limit: 50, offset: 0)
        }
        try await history.invalidate(owner: user)   // this user's entries, and only theirs
        return page
    }
}

/// Embedding.md, "Circuit breaker".
enum GuideCircuitBreaker {
    struct Receipt: Sendable {
        let text: String
    }

    struct Payments: Sendable {
        func charge(_ order: Int) async throws -> Receipt { Receipt(text: "charged order \(order)") }
    }

    static func snippet(system: ActorSystem) async throws -> String {
        let payments = Payments()
        let order = 7
        var replies: [String] = []
        func reply(_ text: String) { replies.append(text) }

        let breaker = CircuitBreaker(try CircuitBreakerConfiguration(failureThreshold: 5, openDuration: .seconds(10)))
        try await system.start(breaker, name: "payments-breaker")
        do {
            let receipt = try await breaker.run { try await payments.charge(order) }
            reply(receipt.text)
        } catch .circuitOpen(let retryAfter) {
            reply("-UNAVAILABLE retry in \(retryAfter ?? .seconds(1))")
        } catch {
            reply("-ERR \(error)")   // the charge failed, or the breaker's actor is unavailable
        }
        return replies.joined()
    }
}

/// Embedding.md, "Worker pool, fan-out, blocking pool": the worker pool.
enum GuideWorkerPool {
    static func render(_ photo: String) async throws -> String { "rendered \(photo)" }

    static func snippet(system: ActorSystem) async throws -> String {
        let photo = "photo.jpg"

        let renders = WorkerPool(try WorkerPoolConfiguration(maxConcurrent: 4, queueCapacity: 64))
        try await system.start(renders, name: "renders")
        let image = try await renders.run(timeout: .seconds(2)) { try await render(photo) }
        return image
    }
}

/// Embedding.md, "Worker pool, fan-out, blocking pool": fan-out, from an actor's handler.
enum GuideFanOut {
    enum Difficulty: Sendable {
        case easy, medium, hard
    }

    struct Store: Sendable {
        func count(_ difficulty: Difficulty) async throws -> Int {
            switch difficulty {
            case .easy: 1
            case .medium: 2
            case .hard: 3
            }
        }
    }

    enum CounterMessage: Sendable {
        case count(ReplyTo<[Int]>)
    }

    struct Counter: Behavior {
        func receive(_ message: CounterMessage, context: ActorContext<CounterMessage>) async throws {
            switch message {
            case .count(let reply):
                let store = Store()
                let queries: [@Sendable () async throws -> Int] = [
                    { try await store.count(.easy) }, { try await store.count(.medium) }, { try await store.count(.hard) },
                ]
                let counts = try await FanOut.all(queries, deadline: .milliseconds(200), clock: context.clock)
                reply.reply(counts)
            }
        }
    }
}

/// Embedding.md, "Worker pool, fan-out, blocking pool": the blocking pool and thread.
enum GuideBlockingPool {
    struct Connection {
        func query(_ sql: String, _ parameters: [String]) throws -> [String] { ["row of \(sql)"] }
    }

    struct DatabaseConfiguration: Sendable {
        func connect() throws -> Connection { Connection() }
    }

    static func hashPassword(_ password: String) -> String { "hashed \(password)" }

    static func snippet(system: ActorSystem) async throws -> (rows: [String], hash: String) {
        let configuration = DatabaseConfiguration()
        let password = "secret"

        let db = try BlockingThread(name: "db-0", queueCapacity: 128, clock: system.clock) { Connection?.none }
        let rows = try await db.run(queueTimeout: .seconds(1)) { connection in
            if connection == nil { connection = try configuration.connect() }   // on the thread
            return try connection!.query("SELECT ...", [])
        }
        await db.shutdown()   // the connection is released on its thread

        let kdf = try BlockingPool(name: "kdf", threads: 2, queueCapacity: 64, clock: system.clock)
        let hash = try await kdf.run { hashPassword(password) }
        await kdf.shutdown()
        return (rows, hash)
    }
}

// MARK: - Metrics registry

/// Embedding.md, "Metrics registry".
enum GuideMetrics {
    struct Command {
        let name: String
    }

    static func snippet(system: ActorSystem) throws -> (body: String, p99: Double?) {
        let command = Command(name: "GET")
        let started = ContinuousClock.now

        let metrics = MetricsRegistry()
        let commands = try metrics.counter("chat_commands_total", help: "Commands handled.", labelNames: ["command"])
        let latency = try metrics.histogram("chat_command_seconds", help: "Time to reply.", labelNames: ["command"])
        let connections = try metrics.gauge("chat_connections", help: "Open connections.").labels()

        // On the hot path (look a series up once per command name, or keep the handle):
        try commands.labels(command.name).increment()
        try latency.labels(command.name).observe(ContinuousClock.now - started)
        connections.add(1)

        // Values read at scrape time:
        try metrics.addCollector("troupe_mailbox_depth", help: "Messages queued.", type: .gauge,
                                 labelNames: ["actor"]) { [weak system] in
            system?.allMetrics().map { MetricSample(labelValues: [$0.path.description], value: Double($0.mailboxDepth)) } ?? []
        }

        let body = metrics.prometheusText()   // serve as text/plain; version=0.0.4
        let p99 = metrics.snapshot().first { $0.name == "chat_command_seconds" }?
            .series("GET")?.value.histogram?.quantile(0.99)   // seconds, or nil before any sample
        return (body, p99)
    }
}

