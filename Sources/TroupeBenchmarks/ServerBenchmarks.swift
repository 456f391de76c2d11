import Foundation
import Troupe
import TroupeBackend
import TroupeServer
import TroupeStore

/// The TCP front's figures: redis-benchmark against the in-process server and against real
/// `redis-server`s started in the same run, targets alternated run by run, medians. Names:
/// `server.ping.<inline|mbulk>[.c1000][.unpipelined]`, peer Redis without persistence:
///
/// - `server.ping.inline`, `server.ping.mbulk`: `-t ping -c 50 -P 16`; the same run also
///   measures a second server on 2 loop threads (`….loops2`), so 1 against 2 is visible.
/// - `….unpipelined`: `-t ping -c 50` (at this shape redis-benchmark's one thread is the
///   bottleneck for any fast server: see ../shared/bench/peers/README.md).
/// - `….c1000`, `….c1000.unpipelined`: the same at `-c 1000`.
/// - `server.say`: `SAY room hello` at `-c 50 -P 16` as a registered user (acknowledged means
///   committed with synchronous=FULL), peer `XADD` on a Redis with `appendfsync always`: the
///   same durability.
/// - `server.ping.inline.nio`, `server.ping.inline.loops2.nio`: with `TROUPE_NIO_PONG` set to
///   the binary of ../shared/bench/peers/nio-pong, the SwiftNIO line server as a peer too.
/// - `server.idle.connection`: the server's RSS growth per idle connection, 10,000 of them,
///   for `troupe serve` and a fresh `redis-server`, both child processes (see
///   ``idleConnections(directory:)``).
///
/// Needs redis-tools (redis-benchmark, redis-cli); without redis-server the figures are
/// printed without a peer. Raises this process's soft descriptor limit to the hard limit
/// (children inherit it): `-c 1000` and the idle connections need more than the usual 1,024.
struct ServerBenchmarks {
    let harness: Harness

    static let benchmarkPath = "/usr/bin/redis-benchmark"
    static let cliPath = "/usr/bin/redis-cli"
    static let redisPath = "/usr/bin/redis-server"
    /// Bound on each redis-benchmark call: a stuck server must not hang the suite.
    static let callTimeout: Duration = .seconds(120)
    static let user = "benchuser"
    static let password = "bench-password-1"
    /// Idle connections for the memory figure (scaled by the harness).
    static let idleConnections = 10_000
    /// How long the idle connections sit before the server's RSS is read: Redis frees an
    /// idle client's query buffer in its once-a-second cron after 2 s idle, so an earlier
    /// reading would charge it for a buffer that an idle connection does not keep.
    static let idleSettle: Duration = .seconds(3)
    /// Bound on opening the idle connections (the helper reports `ready` or an error).
    static let idleOpenTimeout: Duration = .seconds(120)

    /// A server under measurement: a name for the BENCH line and its port.
    struct Target {
        let name: String
        let port: Int
    }

    func run() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.benchmarkPath) else {
            emit("# server: skipped, \(Self.benchmarkPath) is missing (apt-get install redis-tools)")
            return
        }
        let descriptors = Self.raiseDescriptorLimit()
        let directory = try StoreBenchmarks.makeDirectory("troupe-bench-server")
        defer { _ = StoreBenchmarks.shell(["rm", "-rf", directory]) }
        // Two servers, each over its own backend (one server per backend): 1 loop thread
        // (the default) and 2. PING never reaches the backend; SAY runs on the first only.
        let backend = try await BackendBenchmarks.start(directory)
        let backend2Directory = "\(directory)/loops2"
        try FileManager.default.createDirectory(atPath: backend2Directory, withIntermediateDirectories: true)
        let backend2 = try await BackendBenchmarks.start(backend2Directory)
        var configuration = ServerConfiguration()
        configuration.port = 0
        let server = try await Server.start(configuration, backend: backend)
        configuration.loopThreads = 2
        let server2 = try await Server.start(configuration, backend: backend2)
        let connection = backend.connect(pushes: BackendBenchmarks.NullSink())
        _ = try await backend.execute(.register(user: UserName(Self.user)!, password: Array(Self.password.utf8)), on: connection)
        await backend.disconnect(connection)
        let troupe = Target(name: "troupe", port: server.port)
        let troupe2 = Target(name: "troupe-loops2", port: server2.port)

        var children: [ChildProcess] = []
        var failure: (any Error)?
        do {
            let haveRedis = FileManager.default.isExecutableFile(atPath: Self.redisPath)
            if !haveRedis {
                emit("# server: \(Self.redisPath) is missing, figures without a peer (apt-get install redis-server)")
            }
            var redis: Target?
            var durable: Target?
            if haveRedis {
                let plain = try await startRedis(directory: directory, name: "redis", durable: false)
                children.append(plain.process)
                redis = plain.target
                let fsync = try await startRedis(directory: directory, name: "redis-fsync", durable: true)
                children.append(fsync.process)
                durable = fsync.target
            }
            let nio = try await startNIO(directory: directory)
            if let nio { children.append(nio.process) }
            emit(
                "# server: troupe on :\(troupe.port) (1 loop thread, SQLite synchronous=FULL), troupe-loops2 on :\(troupe2.port) (2 loop threads), "
                    + "peers: \(redis.map { "redis :\($0.port)" } ?? "none"), \(durable.map { "redis appendfsync=always :\($0.port)" } ?? ""); "
                    + "\(nio.map { "nio-pong (1 event loop) :\($0.target.port); " } ?? "")descriptor limit \(descriptors)"
            )
            try await ping(troupe, troupe2, redis)
            if let nio { try await versusNIO(troupe, troupe2, nio.target, redis) }
            try await unpipelined(troupe, redis)
            try await ping1000(troupe, redis, descriptors: descriptors)
            try await say(troupe, durable)
        } catch {
            failure = error
        }
        for child in children { await child.stop() }
        await server.shutdown(deadline: .seconds(10))
        await server2.shutdown(deadline: .seconds(10))
        await backend.shutdown()
        await backend2.shutdown()
        if let failure { throw failure }
        // Last, with nothing else of this suite running: memory per idle connection.
        try await idleConnections(directory: directory, descriptors: descriptors)
    }

    // MARK: Figures

    private func ping(_ troupe: Target, _ troupe2: Target, _ redis: Target?) async throws {
        let arguments = ["-t", "ping", "-n", String(harness.count(2_000_000)), "-c", "50", "-P", "16"]
        let medians = try await compare([troupe, troupe2, redis].compactMap { $0 }, arguments: arguments)
        for (test, name) in [("PING_INLINE", "server.ping.inline"), ("PING_MBULK", "server.ping.mbulk")] {
            try report(name, unit: "req/s", test: test, medians: medians, target: troupe, peer: redis)
        }
        for (test, name) in [("PING_INLINE", "server.ping.inline.loops2"), ("PING_MBULK", "server.ping.mbulk.loops2")] {
            try report(name, unit: "req/s", test: test, medians: medians, target: troupe2, peer: redis)
        }
    }

    /// The SwiftNIO line server of ../shared/bench/peers (one event loop) as a second peer,
    /// when `TROUPE_NIO_PONG` names its binary: `-t ping_inline -c 50 -P 16` only (it answers
    /// every line, so a multibulk PING would get three replies and a meaningless figure).
    private func versusNIO(_ troupe: Target, _ troupe2: Target, _ nio: Target, _ redis: Target?) async throws {
        let arguments = ["-t", "ping_inline", "-n", String(harness.count(2_000_000)), "-c", "50", "-P", "16"]
        let medians = try await compare([troupe, troupe2, nio, redis].compactMap { $0 }, arguments: arguments)
        guard let nioValue = medians[nio.name]?["PING_INLINE"] else { throw StoreBenchmarks.BenchmarkError("no PING_INLINE figure for nio-pong") }
        for (target, name) in [(troupe, "server.ping.inline.nio"), (troupe2, "server.ping.inline.loops2.nio")] {
            guard let value = medians[target.name]?["PING_INLINE"] else { throw StoreBenchmarks.BenchmarkError("\(name): no figure for \(target.name)") }
            emit(Harness.line(name, value: value, unit: "req/s", peer: ("nio", nioValue)))
        }
        if let redis, let redisValue = medians[redis.name]?["PING_INLINE"] {
            emit("# server: in the same run nio-pong (1 event loop) / redis = \(String(format: "%.2f", nioValue / redisValue))")
        }
    }

    private func unpipelined(_ troupe: Target, _ redis: Target?) async throws {
        let arguments = ["-t", "ping", "-n", String(harness.count(200_000)), "-c", "50", "-P", "1"]
        let medians = try await compare([troupe, redis].compactMap { $0 }, arguments: arguments)
        for (test, name) in [("PING_INLINE", "server.ping.inline.unpipelined"), ("PING_MBULK", "server.ping.mbulk.unpipelined")] {
            try report(name, unit: "req/s", test: test, medians: medians, target: troupe, peer: redis)
        }
    }

    /// 1,000 clients, pipelined and not. redis-benchmark and each server need about 1,000
    /// descriptors more than the usual limit of 1,024.
    private func ping1000(_ troupe: Target, _ redis: Target?, descriptors: Int) async throws {
        guard descriptors >= 1_100 else {
            emit("# server: -c 1000 skipped, the descriptor limit is \(descriptors) (raise the hard limit: ulimit -Hn)")
            return
        }
        let shapes: [(arguments: [String], suffix: String)] = [
            (["-t", "ping", "-n", String(harness.count(2_000_000)), "-c", "1000", "-P", "16"], ".c1000"),
            (["-t", "ping", "-n", String(harness.count(200_000)), "-c", "1000", "-P", "1"], ".c1000.unpipelined"),
        ]
        for shape in shapes {
            let medians = try await compare([troupe, redis].compactMap { $0 }, arguments: shape.arguments)
            for (test, name) in [("PING_INLINE", "server.ping.inline"), ("PING_MBULK", "server.ping.mbulk")] {
                try report(name + shape.suffix, unit: "req/s", test: test, medians: medians, target: troupe, peer: redis)
            }
        }
    }

    private func say(_ troupe: Target, _ durable: Target?) async throws {
        let count = String(harness.count(100_000))
        let common = ["-n", count, "-c", "50", "-P", "16"]
        // Each target gets its own command; the figure is keyed by a common name.
        var medians: [String: [String: Double]] = [:]
        var samples: [String: [Double]] = [:]
        let troupeArguments = ["--user", Self.user, "-a", Self.password] + common + ["SAY", "room1", "hello"]
        let peerArguments = common + ["XADD", "bench-stream", "*", "text", "hello"]
        for run in 0...harness.runs {
            // Run 0 is an untimed warm-up.
            let mine = try await benchmark(troupe, troupeArguments)
            if run > 0 { samples[troupe.name, default: []].append(mine.first?.rps ?? 0) }
            if let durable {
                let theirs = try await benchmark(durable, peerArguments)
                if run > 0 { samples[durable.name, default: []].append(theirs.first?.rps ?? 0) }
            }
        }
        for (target, values) in samples { medians[target] = ["SAY": median(values)] }
        try report("server.say", unit: "msgs/s", test: "SAY", medians: medians, target: troupe, peer: durable)
    }

    /// RSS growth of the server process per idle connection, in KiB: `troupe serve` (the
    /// binary built next to this one) and a fresh `redis-server`, each a child process, each
    /// read from `/proc/<pid>/status` before the connections and ``idleSettle`` after all are
    /// open. The connections come from another child (``IdleClients``), so that neither
    /// server's figure includes a client socket. Lower is better; the goal is 16 KiB.
    private func idleConnections(directory: String, descriptors: Int) async throws {
        let count = harness.count(Self.idleConnections)
        // Each server holds `count` sockets and its own files; Redis wants 32 spare.
        guard descriptors >= count + 200 else {
            emit("# server: idle connections skipped, \(count) need a descriptor limit of \(count + 200), it is \(descriptors)")
            return
        }
        let troupePath = Self.siblingExecutable("troupe")
        guard FileManager.default.isExecutableFile(atPath: troupePath) else {
            emit("# server: idle connections skipped, \(troupePath) is missing (swift build -c release --product troupe)")
            return
        }
        let data = "\(directory)/idle"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let port = try Self.freePort()
        let troupe = try ChildProcess(
            troupePath,
            [
                "serve", "--host", "127.0.0.1", "--port", String(port), "--db", "sqlite:\(data)/troupe.sqlite", "--max-connections", String(count + 100),
                "--anonymous-idle-timeout", "1h", "--log-level", "error",
            ],
            output: "\(data)/troupe.log"
        )
        let mine: Double
        do {
            try await waitForPing(port: port, name: "troupe serve", log: "\(data)/troupe.log")
            mine = try await idleGrowth(of: troupe.pid, port: port, count: count, directory: data)
        } catch {
            await troupe.stop()
            throw error
        }
        await troupe.stop()
        var peer: (name: String, value: Double)?
        if FileManager.default.isExecutableFile(atPath: Self.redisPath) {
            let redis = try await startRedis(directory: data, name: "redis-idle", durable: false, maxClients: count + 100)
            do {
                peer = ("redis", try await idleGrowth(of: redis.process.pid, port: redis.target.port, count: count, directory: data))
            } catch {
                await redis.process.stop()
                throw error
            }
            await redis.process.stop()
        }
        emit(Harness.line("server.idle.connection", value: mine, unit: "KiB", peer: peer) + " connections=\(count) (lower is better)")
    }

    /// Opens `count` idle connections to `port` from a child process and returns the growth
    /// of `pid`'s RSS per connection, in KiB.
    private func idleGrowth(of pid: Int32, port: Int, count: Int, directory: String) async throws -> Double {
        let before = try Self.residentKiB(of: pid)
        let log = "\(directory)/clients-\(port).log"
        let clients = try ChildProcess(Self.siblingExecutable("TroupeBenchmarks"), ["idle-clients", String(port), String(count)], output: log)
        do {
            let deadline = ContinuousClock.now + Self.idleOpenTimeout
            while !clients.output.contains("ready") {
                if clients.output.contains("error") || ContinuousClock.now > deadline {
                    let said = clients.output.isEmpty ? "nothing" : String(clients.output.suffix(400))
                    throw StoreBenchmarks.BenchmarkError("idle clients against :\(port) failed or not ready within \(Self.idleOpenTimeout); they said: \(said) (log: \(log))")
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            try await Task.sleep(for: Self.idleSettle)
            let after = try Self.residentKiB(of: pid)
            await clients.stop()
            return Double(after - before) / Double(count)
        } catch {
            await clients.stop()
            throw error
        }
    }

    /// Runs `arguments` against each target, alternating, one untimed warm-up pass first;
    /// returns target name → test → median requests per second.
    private func compare(_ targets: [Target], arguments: [String]) async throws -> [String: [String: Double]] {
        var samples: [String: [String: [Double]]] = [:]
        for run in 0...harness.runs {
            for target in targets {
                let results = try await benchmark(target, arguments)
                guard run > 0 else { continue }
                for result in results { samples[target.name, default: [:]][result.test, default: []].append(result.rps) }
            }
        }
        return samples.mapValues { $0.mapValues(median) }
    }

    private func report(_ name: String, unit: String, test: String, medians: [String: [String: Double]], target: Target, peer: Target?) throws {
        guard let value = medians[target.name]?[test] else { throw StoreBenchmarks.BenchmarkError("\(name): no \(test) figure for \(target.name)") }
        let peerValue = peer.flatMap { medians[$0.name]?[test] }
        emit(Harness.line(name, value: value, unit: unit, peer: peerValue.map { ("redis", $0) }))
    }

    private func median(_ values: [Double]) -> Double {
        values.sorted()[values.count / 2]
    }

    // MARK: Processes

    /// One redis-benchmark call in `-q` form; the figures it printed, in order.
    private func benchmark(_ target: Target, _ arguments: [String]) async throws -> [(test: String, rps: Double)] {
        let output = try await ChildProcess.output(
            of: Self.benchmarkPath, ["-h", "127.0.0.1", "-p", String(target.port), "-q"] + arguments, timeout: Self.callTimeout
        )
        // A command refused by the server does not stop redis-benchmark: it reports the
        // rate of errors. Such a figure is not one.
        if output.contains("Error from server") || output.contains("AUTH failed") {
            throw StoreBenchmarks.BenchmarkError("redis-benchmark against \(target.name): \(output.suffix(400))")
        }
        let results = Self.parse(output)
        guard !results.isEmpty else {
            throw StoreBenchmarks.BenchmarkError("redis-benchmark against \(target.name) printed no figure: \(output.suffix(400))")
        }
        return results
    }

    /// The `<TEST>: <n> requests per second, ...` lines of redis-benchmark's `-q` output
    /// (progress is overwritten with `\r`, so lines are split at both terminators).
    static func parse(_ output: String) -> [(test: String, rps: Double)] {
        output.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).compactMap { line in
            guard let end = line.range(of: " requests per second"), let colon = line[..<end.lowerBound].range(of: ": ", options: .backwards),
                let rps = Double(line[colon.upperBound..<end.lowerBound])
            else { return nil }
            return (String(line[..<colon.lowerBound]), rps)
        }
    }

    /// A `redis-server` on a free port, data in its own directory under `directory`; waits
    /// until it answers PING. `maxClients` above Redis's default of 10,000 needs as many
    /// descriptors (and 32 more) in the soft limit, which the child inherits.
    private func startRedis(directory: String, name: String, durable: Bool, maxClients: Int? = nil) async throws -> (target: Target, process: ChildProcess) {
        let port = try Self.freePort()
        let data = "\(directory)/\(name)"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let persistence = durable ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"]
        let clients = maxClients.map { ["--maxclients", String($0)] } ?? []
        let process = try ChildProcess(
            Self.redisPath,
            ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--daemonize", "no", "--dir", data] + persistence + clients,
            output: "\(data)/log"
        )
        do {
            try await waitForPing(port: port, name: name, log: "\(data)/log")
        } catch {
            await process.stop()
            throw error
        }
        return (Target(name: name, port: port), process)
    }

    /// nio-pong (../shared/bench/peers/nio-pong, built by hand) with one event loop on a free
    /// port, if `TROUPE_NIO_PONG` names its binary; nil otherwise.
    private func startNIO(directory: String) async throws -> (target: Target, process: ChildProcess)? {
        guard let path = ProcessInfo.processInfo.environment["TROUPE_NIO_PONG"] else { return nil }
        guard FileManager.default.isExecutableFile(atPath: path) else {
            emit("# server: TROUPE_NIO_PONG=\(path) is not an executable, no SwiftNIO peer")
            return nil
        }
        let port = try Self.freePort()
        let log = "\(directory)/nio-pong.log"
        let process = try ChildProcess(path, [String(port), "1"], output: log)
        do {
            try await waitForPing(port: port, name: "nio-pong", log: log)
        } catch {
            await process.stop()
            throw error
        }
        return (Target(name: "nio", port: port), process)
    }

    /// Waits (about 10 s at most) until the server on `port` answers `redis-cli ping`.
    private func waitForPing(port: Int, name: String, log: String) async throws {
        for _ in 0..<200 {
            let answer = try await ChildProcess.output(of: Self.cliPath, ["-h", "127.0.0.1", "-p", String(port), "ping"], timeout: .seconds(5))
            if answer.contains("PONG") { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw StoreBenchmarks.BenchmarkError("\(name) did not answer PING on port \(port) within 10 s (log: \(log))")
    }

    /// Raises the soft `RLIMIT_NOFILE` to the hard limit (at most 2²⁰, Linux's default
    /// `nr_open`: an unlimited hard limit cannot be the soft one); returns the soft limit
    /// then in force (children inherit it).
    static func raiseDescriptorLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1_024 }
        let wanted = min(limit.rlim_max, 1 << 20)
        if limit.rlim_cur < wanted {
            limit.rlim_cur = wanted
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1_024 }
        }
        return Int(clamping: limit.rlim_cur)
    }

    /// `VmRSS` of process `pid` in KiB, from `/proc/<pid>/status`.
    static func residentKiB(of pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kib = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap({ Int($0) })
        else { throw StoreBenchmarks.BenchmarkError("no VmRSS in /proc/\(pid)/status") }
        return kib
    }

    /// An executable built next to this one (same build directory).
    static func siblingExecutable(_ name: String) -> String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent(name).path
    }

    /// A port no one listens on now: bind port 0 and close. Another process could take it
    /// before redis-server binds it; then redis-server fails and the wait above says so.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw StoreBenchmarks.BenchmarkError("socket failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw StoreBenchmarks.BenchmarkError("bind to a free port failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

}

/// A child process whose exit is awaited without blocking a thread: Foundation's
/// termination handler feeds a stream. Output (stdout and stderr) goes to a file, read once
/// the process has exited (a pipe would need a reader running alongside).
final class ChildProcess {
    private let process = Process()
    private let exits: AsyncStream<Int32>
    private let outputPath: String
    let pid: Int32

    init(_ path: String, _ arguments: [String], output: String) throws {
        let (exits, continuation) = AsyncStream<Int32>.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.exits = exits
        outputPath = output
        guard FileManager.default.createFile(atPath: output, contents: nil), let handle = FileHandle(forWritingAtPath: output) else {
            throw StoreBenchmarks.BenchmarkError("cannot write \(output)")
        }
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = handle
        process.standardError = handle
        process.terminationHandler = { process in
            continuation.yield(process.terminationStatus)
            continuation.finish()
        }
        try process.run()
        try? handle.close()
        pid = process.processIdentifier
    }

    /// Waits for the exit; after `timeout`, kills the process (SIGKILL) and returns nil.
    func wait(timeout: Duration) async -> Int32? {
        let (exits, pid) = (self.exits, self.pid)
        return await withTaskGroup(of: Int32?.self) { group in
            group.addTask {
                for await status in exits { return status }
                return nil
            }
            group.addTask {
                do {
                    try await Task.sleep(for: timeout)
                    kill(pid, SIGKILL)
                } catch {}
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// SIGKILL, then waits for the exit. Not SIGTERM: a child spawned by Foundation's
    /// `Process` here starts with most signals blocked (the spawning thread's mask is
    /// inherited; seen in `/proc/<pid>/status` SigBlk), so redis-server never sees a SIGTERM.
    /// Nothing is lost: what these children write lives in a directory deleted afterwards.
    func stop() async {
        kill(pid, SIGKILL)
        _ = await wait(timeout: .seconds(10))
    }

    /// What the process wrote so far.
    var output: String {
        (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    }

    /// Runs `path` to completion (bounded by `timeout`) and returns its output; a timeout
    /// is an error.
    static func output(of path: String, _ arguments: [String], timeout: Duration) async throws -> String {
        let file = NSTemporaryDirectory() + "troupe-bench-\(UUID().uuidString).out"
        defer { try? FileManager.default.removeItem(atPath: file) }
        let child = try ChildProcess(path, arguments, output: file)
        guard await child.wait(timeout: timeout) != nil else {
            throw StoreBenchmarks.BenchmarkError("\(path) \(arguments.joined(separator: " ")) did not finish within \(timeout)")
        }
        return child.output
    }
}
