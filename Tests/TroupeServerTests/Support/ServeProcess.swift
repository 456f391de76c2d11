import Foundation
import Glibc
import Testing
import TroupeTestSupport

/// The real `troupe serve` as a child process, as operators run it: on an ephemeral port,
/// over a SQLite file in `directory`, its log in `directory/serve-<n>.log` (n counting the starts).
///
/// The binary is the one built beside the test runner (`swift build --build-tests` builds
/// every product into the same folder, ThreadSanitizer's scratch path included). Waiting
/// never blocks the cooperative pool: the in-process servers of other suites need it.
struct ServeProcess {
    let process: ChildProcess
    let port: Int
    let logPath: String

    /// The `troupe` executable next to the running test binary.
    static var executablePath: String {
        let runner = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: runner).deletingLastPathComponent().appendingPathComponent("troupe").path
    }

    /// Flags every test's server gets: rates high enough that a load test measures
    /// durability, not the limiter (and a cheap password hash unless a test asks otherwise).
    static let testFlags = [
        "--user-rate", "1000000/s", "--user-burst", "1000000", "--global-rate", "1000000/s", "--global-burst", "1000000",
    ]

    /// Starts the server and waits (up to 60 s) for its "listening" line.
    static func start(directory: String, passwordCost: Int = 1, extraFlags: [String] = []) async throws -> ServeProcess {
        // A log per start: a restart in the same directory must not find the last one's port.
        let logPath = (1...).lazy.map { "\(directory)/serve-\($0).log" }.first { !FileManager.default.fileExists(atPath: $0) }!
        let arguments = [executablePath, "serve", "--host", "127.0.0.1", "--port", "0", "--db", "sqlite:\(directory)/troupe.db"]
            + ["--password-cost", "\(passwordCost)"] + testFlags + extraFlags
        let process = try ChildProcess.spawn(arguments, outputPath: logPath)
        var port: Int?
        do {
            try await pollUntil("troupe serve logs its address", timeout: .seconds(60)) {
                if process.exitCodeIfEnded() != nil {
                    throw HarnessError("troupe serve exited at start: \(Self.log(at: logPath).suffix(2_000))")
                }
                port = listeningPort(in: log(at: logPath))
                return port != nil
            }
        } catch {
            kill(process.pid, SIGKILL)
            _ = process.waitForExit()
            throw error
        }
        return ServeProcess(process: process, port: port!, logPath: logPath)
    }

    var pid: pid_t { process.pid }
    var log: String { Self.log(at: logPath) }

    func signal(_ number: Int32) {
        kill(process.pid, number)
    }

    /// The exit code, polled (never a blocking wait) for up to `timeout`.
    func exitCode(within timeout: Duration) async throws -> Int32 {
        var code: Int32?
        try await pollUntil("troupe serve exits", timeout: timeout) {
            code = process.exitCodeIfEnded()
            return code != nil
        }
        return code!
    }

    /// Kills and reaps the process if it still runs (a test's cleanup).
    func stop() async {
        guard process.exitCodeIfEnded() == nil else { return }
        kill(process.pid, SIGKILL)
        _ = try? await exitCode(within: .seconds(10))
    }

    func client() throws -> TestClient {
        try TestClient(port: port)
    }

    static func log(at path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    /// The port of the log's `listening address=HOST:PORT` line.
    static func listeningPort(in log: String) -> Int? {
        // Only whole lines: the last one may be half written.
        let complete = log.hasSuffix("\n") ? log[...] : log[..<(log.lastIndex(of: "\n") ?? log.startIndex)]
        for line in complete.split(separator: "\n") where line.contains("msg=\"listening\"") {
            guard let field = line.split(separator: " ").first(where: { $0.hasPrefix("address=") }),
                  let colon = field.lastIndex(of: ":") else { continue }
            return Int(field[field.index(after: colon)...])
        }
        return nil
    }
}

/// A directory under the system's temporary one, removed by `body`'s end whatever happens.
func withTemporaryDirectory(_ body: (String) async throws -> Void) async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("troupe-serve-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try await body(directory)
}
