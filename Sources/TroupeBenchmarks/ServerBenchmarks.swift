import Foundation
import Troupe
import TroupeBackend
import TroupeServer
import TroupeStore

/// The TCP front's figures: redis-benchmark against the in-process server and against a real
/// `redis-server` started in the same run, targets alternated run by run, medians.
///
/// - `server.ping.inline`, `server.ping.mbulk`: `-t ping -c 50 -P 16`, peer Redis without
///   persistence.
/// - `server.ping.unpipelined`: `-t ping_inline -c 50` (at this shape redis-benchmark's one
///   thread is the bottleneck for any fast server: see ../shared/bench/peers/README.md).
/// - `server.say`: `SAY room hello` at `-c 50 -P 16` as a registered user (acknowledged means
///   committed with synchronous=FULL), peer `XADD` on a Redis with `appendfsync always`: the
///   same durability.
///
/// Needs redis-tools (redis-benchmark, redis-cli); without redis-server the figures are
/// printed without a peer.
struct ServerBenchmarks {
    let harness: Harness

    static let benchmarkPath = "/usr/bin/redis-benchmark"
    static let cliPath = "/usr/bin/redis-cli"
    static let redisPath = "/usr/bin/redis-server"
    /// Bound on each redis-benchmark call: a stuck server must not hang the suite.
    static let callTimeout: Duration = .seconds(120)
    static let user = "benchuser"
    static let password = "bench-password-1"

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
        let directory = try StoreBenchmarks.makeDirectory("troupe-bench-server")
        defer { _ = StoreBenchmarks.shell(["rm", "-rf", directory]) }
        let backend = try await BackendBenchmarks.start(directory)
        var configuration = ServerConfiguration()
        configuration.port = 0
        let server = try await Server.start(configuration, backend: backend)
        let connection = backend.connect(pushes: BackendBenchmarks.NullSink())
        _ = try await backend.execute(.register(user: UserName(Self.user)!, password: Array(Self.password.utf8)), on: connection)
        await backend.disconnect(connection)
        let troupe = Target(name: "troupe", port: server.port)

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
            emit("# server: troupe on :\(troupe.port) (1 loop thread, SQLite synchronous=FULL), peers: \(redis.map { "redis :\($0.port)" } ?? "none"), \(durable.map { "redis appendfsync=always :\($0.port)" } ?? "")")
            try await ping(troupe, redis)
            try await unpipelined(troupe, redis)
            try await say(troupe, durable)
        } catch {
            failure = error
        }
        for child in children { await child.stop() }
        await server.shutdown(deadline: .seconds(10))
        await backend.shutdown()
        if let failure { throw failure }
    }

    // MARK: Figures

    private func ping(_ troupe: Target, _ redis: Target?) async throws {
        let arguments = ["-t", "ping", "-n", String(harness.count(2_000_000)), "-c", "50", "-P", "16"]
        let medians = try await compare(troupe, redis, arguments: arguments)
        for (test, name) in [("PING_INLINE", "server.ping.inline"), ("PING_MBULK", "server.ping.mbulk")] {
            try report(name, unit: "req/s", test: test, medians: medians, peer: redis)
        }
    }

    private func unpipelined(_ troupe: Target, _ redis: Target?) async throws {
        let arguments = ["-t", "ping_inline", "-n", String(harness.count(200_000)), "-c", "50", "-P", "1"]
        let medians = try await compare(troupe, redis, arguments: arguments)
        try report("server.ping.unpipelined", unit: "req/s", test: "PING_INLINE", medians: medians, peer: redis)
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
        try report("server.say", unit: "msgs/s", test: "SAY", medians: medians, peer: durable)
    }

    /// Runs `arguments` against each target, alternating, one untimed warm-up pass first;
    /// returns target name → test → median requests per second.
    private func compare(_ troupe: Target, _ redis: Target?, arguments: [String]) async throws -> [String: [String: Double]] {
        var samples: [String: [String: [Double]]] = [:]
        for run in 0...harness.runs {
            for target in [troupe, redis].compactMap({ $0 }) {
                let results = try await benchmark(target, arguments)
                guard run > 0 else { continue }
                for result in results { samples[target.name, default: [:]][result.test, default: []].append(result.rps) }
            }
        }
        return samples.mapValues { $0.mapValues(median) }
    }

    private func report(_ name: String, unit: String, test: String, medians: [String: [String: Double]], peer: Target?) throws {
        guard let value = medians["troupe"]?[test] else { throw StoreBenchmarks.BenchmarkError("\(name): no \(test) figure for troupe") }
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
    /// until it answers PING.
    private func startRedis(directory: String, name: String, durable: Bool) async throws -> (target: Target, process: ChildProcess) {
        let port = try Self.freePort()
        let data = "\(directory)/\(name)"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let persistence = durable ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"]
        let process = try ChildProcess(
            Self.redisPath,
            ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--daemonize", "no", "--dir", data] + persistence,
            output: "\(data)/log"
        )
        for _ in 0..<200 {
            let answer = try await ChildProcess.output(of: Self.cliPath, ["-h", "127.0.0.1", "-p", String(port), "ping"], timeout: .seconds(5))
            if answer.contains("PONG") { return (Target(name: name, port: port), process) }
            try await Task.sleep(for: .milliseconds(50))
        }
        await process.stop()
        throw StoreBenchmarks.BenchmarkError("\(name) did not answer PING on port \(port) within 10 s (log: \(data)/log)")
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
