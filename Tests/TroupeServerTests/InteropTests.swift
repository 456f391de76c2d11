import Foundation
import Glibc
import Testing
import TroupeTestSupport

/// The server driven by the real Redis tools and the PyPI `redis` client, run as users run
/// them: `redis-cli`, `redis-benchmark` and `python3` as child processes against the
/// in-process server on an ephemeral port, their output (standard output and error) read
/// from a file once they end.
///
/// The tools come from `make test` (Debian's redis-tools and `pip install redis`); a machine
/// without them reports these tests as skipped, with the reason.
///
/// The backend runs on Swift's cooperative pool (one thread per core), so a test never
/// blocks a thread of it on a child: it polls the child's end (`exitCodeIfEnded`) instead of
/// `waitpid` blocking, and it talks to the server only through the tools.
@Suite(.serialized)
struct InteropTests {
    @Test(.enabled(if: Self.onPath("redis-cli"), "needs redis-cli (Debian's redis-tools; `make test` installs it)"))
    func redisCLIPing() async throws {
        try await ServerFixture.with { fixture in
            let result = try await Self.run(["redis-cli", "-p", String(fixture.port), "PING"])
            #expect(result.status == 0)
            #expect(result.output == "PONG\n")
        }
    }

    /// `--user U --pass P` makes redis-cli send `AUTH U P` first; a failed AUTH only prints a
    /// warning and the command still goes out, so the reply (an id, not `NOAUTH`) is the proof.
    @Test(.enabled(if: Self.onPath("redis-cli"), "needs redis-cli (Debian's redis-tools; `make test` installs it)"))
    func redisCLISayWithUserAndPassword() async throws {
        try await ServerFixture.with { fixture in
            let port = String(fixture.port)
            let register = try await Self.run(["redis-cli", "-p", port, "REGISTER", "alice", "password-1"])
            #expect(register.output == "OK\n")

            let say = try await Self.run(["redis-cli", "--user", "alice", "--pass", "password-1", "-p", port, "SAY", "lobby", "hi"])
            #expect(say.status == 0)
            let sayLines = Self.linesWithoutPasswordWarning(say.output)
            #expect(sayLines.count == 1 && Int(sayLines[0]) != nil, "SAY answered \(say.output.debugDescription), not an id")

            // redis-cli prints a nested array one element a line: [id, room, user, text, millis].
            let history = try await Self.run(["redis-cli", "--user", "alice", "--pass", "password-1", "-p", port, "HISTORY", "lobby"])
            #expect(history.status == 0)
            let message = Self.linesWithoutPasswordWarning(history.output)
            #expect(message.count == 5, "HISTORY printed \(history.output.debugDescription)")
            #expect(Array(message.prefix(4)) == [sayLines.first ?? "", "lobby", "alice", "hi"])
            #expect(message.count == 5 && Int(message[4]) != nil)
        }
    }

    /// `-3` makes redis-cli send `HELLO 3` first and read every reply as RESP3; it gives up
    /// when HELLO fails, so PONG proves the handshake too.
    @Test(.enabled(if: Self.onPath("redis-cli"), "needs redis-cli (Debian's redis-tools; `make test` installs it)"))
    func redisCLIPingOverRESP3() async throws {
        try await ServerFixture.with { fixture in
            let port = String(fixture.port)
            let ping = try await Self.run(["redis-cli", "-3", "-p", port, "PING"])
            #expect(ping.status == 0)
            #expect(ping.output == "PONG\n")

            // HELLO's map, as redis-cli prints a RESP3 map: one `key value` a line.
            let hello = try await Self.run(["redis-cli", "-3", "-p", port, "HELLO", "3"])
            let fields = hello.output.split(separator: "\n").map { $0.split(separator: " ", maxSplits: 1).first.map(String.init) ?? "" }
            #expect(fields == ["server", "version", "proto", "node"], "HELLO 3 printed \(hello.output.debugDescription)")
            #expect(hello.output.contains("proto 3\n"))
        }
    }

    /// redis-benchmark's `-t ping` runs PING_INLINE and PING_MBULK; since Redis 7 it exits
    /// non-zero at the first error reply, so exit 0 and both figures mean every request was
    /// answered correctly. (It also asks for `CONFIG GET save`, which the server does not know:
    /// that costs only a "Could not fetch server CONFIG" warning.)
    @Test(
        .enabled(if: Self.onPath("redis-benchmark"), "needs redis-benchmark (Debian's redis-tools; `make test` installs it)"),
        arguments: [1, 16]
    )
    func redisBenchmarkPing(pipeline: Int) async throws {
        try await ServerFixture.with { fixture in
            let requestsBefore = fixture.server.metrics.requests
            let result = try await Self.run([
                "redis-benchmark", "-p", String(fixture.port), "-t", "ping", "-n", "2000", "-c", "10", "-q", "-P", String(pipeline),
            ])
            #expect(result.status == 0, "redis-benchmark printed \(result.output.debugDescription)")
            #expect(!result.output.contains("Error from server"))
            let figures = Self.requestsPerSecond(result.output)
            #expect(figures.map(\.test) == ["PING_INLINE", "PING_MBULK"], "redis-benchmark printed \(result.output.debugDescription)")
            #expect(figures.allSatisfy { $0.rps > 0 })
            #expect(fixture.server.metrics.requests - requestsBefore >= 4_000)
        }
    }

    /// redis-py as an application uses it: RESP2 anonymous, RESP2 with `username`/`password`
    /// (it sends `AUTH carol password-3` on connect), and `protocol=3` with both (it sends
    /// `HELLO 3 AUTH carol password-3` and checks the map's `proto`). Commands redis-py has no
    /// method for go through `execute_command`, as they would in an application.
    @Test(.enabled("needs python3 with the PyPI redis client (`make test` installs it)") { await Self.pythonHasRedis() })
    func redisPyOverRESP2AndRESP3() async throws {
        let script = """
            import sys, redis
            port = int(sys.argv[1])
            anonymous = redis.Redis(host="127.0.0.1", port=port, decode_responses=True)
            print("ping", anonymous.ping())
            print("register", anonymous.execute_command("REGISTER", "carol", "password-3"))
            resp2 = redis.Redis(host="127.0.0.1", port=port, username="carol", password="password-3", decode_responses=True)
            print("say", resp2.execute_command("SAY", "lobby", "over RESP2"))
            print("whoami", resp2.execute_command("WHOAMI"))
            resp3 = redis.Redis(host="127.0.0.1", port=port, protocol=3, username="carol", password="password-3", decode_responses=True)
            print("say", resp3.execute_command("SAY", "lobby", "over RESP3"))
            for id, room, user, text, millis in resp3.execute_command("HISTORY", "lobby"):
                print("message", id, room, user, text, type(millis).__name__)
            print("progress", sorted(resp3.execute_command("PROGRESS")))
            """
        try await ServerFixture.with { fixture in
            let result = try await Self.run(["python3", "-c", script, String(fixture.port)])
            #expect(result.status == 0, "the script printed \(result.output.debugDescription)")
            let lines = result.output.split(separator: "\n").map(String.init)
            let ids = lines.filter { $0.hasPrefix("say ") }.map { String($0.dropFirst(4)) }
            guard ids.count == 2, ids.allSatisfy({ Int($0) != nil }) else {
                Issue.record("the SAYs did not answer ids: \(result.output.debugDescription)")
                return
            }
            #expect(
                lines == [
                    "ping True",
                    "register OK",
                    "say \(ids[0])",
                    "whoami carol",
                    "say \(ids[1])",
                    "message \(ids[0]) lobby carol over RESP2 int",
                    "message \(ids[1]) lobby carol over RESP3 int",
                    // PROGRESS is a map in RESP3, which redis-py reads as a dict.
                    "progress ['cost', 'level', 'mine', 'node', 'progress', 'voting']",
                ]
            )
        }
    }

    // MARK: Running the tools

    /// Bound on one tool's run: a server that stops answering fails the test, never hangs it.
    static let toolTimeout: Duration = .seconds(30)

    /// Runs `arguments` to its end and returns its exit code and everything it printed
    /// (standard output and error, interleaved as written). Polls for the end so no thread
    /// of the cooperative pool waits on the child; past `toolTimeout` the child is killed.
    static func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("troupe-interop-\(UUID().uuidString).out").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let child = try ChildProcess.spawn(arguments, outputPath: outputPath)
        var status: Int32?
        do {
            try await pollUntil("\(arguments[0]) ends", timeout: toolTimeout) {
                status = child.exitCodeIfEnded()
                return status != nil
            }
        } catch {
            kill(child.pid, SIGKILL)
            _ = child.waitForExit()  // reaps at once: the child is already dead
            throw error
        }
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        return (status ?? -1, output)
    }

    /// Whether `name` is an executable in one of `PATH`'s directories, as `posix_spawnp`
    /// would find it.
    static func onPath(_ name: String) -> Bool {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").contains { access("\($0)/\(name)", X_OK) == 0 }
    }

    /// Whether `python3` is on `PATH` and imports `redis`.
    static func pythonHasRedis() async -> Bool {
        guard onPath("python3") else { return false }
        let result = try? await run(["python3", "-c", "import redis"])
        return result?.status == 0
    }

    /// redis-cli's lines, without the warning it prints (to standard error) whenever a
    /// password is given on the command line.
    static func linesWithoutPasswordWarning(_ output: String) -> [String] {
        output.split(separator: "\n").filter { !$0.hasPrefix("Warning: Using a password") }.map(String.init)
    }

    /// The `<TEST>: <n> requests per second, ...` lines of redis-benchmark's `-q` output;
    /// its progress lines end in `\r` and are overwritten, so lines split at both.
    static func requestsPerSecond(_ output: String) -> [(test: String, rps: Double)] {
        output.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).compactMap { line in
            let parts = line.trimmingCharacters(in: .whitespaces).components(separatedBy: " requests per second")
            guard parts.count == 2, let colon = parts[0].range(of: ": ", options: .backwards), let rps = Double(parts[0][colon.upperBound...]) else {
                return nil
            }
            return (String(parts[0][..<colon.lowerBound]), rps)
        }
    }
}
