import Foundation

/// Runs the Erlang/OTP peer in the same sitting, if `erl` is installed: the shared
/// `actorbench.erl` (ping-pong, fan-in, ring) and our own small module for spawn and
/// per-process memory. Returns medians by benchmark name, or nil without Erlang.
enum BeamPeer {
    static func measure(harness: Harness) -> [String: Double]? {
        guard let erl = which("erl"), let erlc = which("erlc") else {
            emit("# erl not found: BEAM peer skipped (apt-get install -y erlang-base)")
            return nil
        }
        let peers = ProcessInfo.processInfo.environment["TROUPE_PEERS_DIR"] ?? "../shared/bench/peers"
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("troupe-beam-\(getpid())")
        try? FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        var results: [String: Double] = [:]
        let shared = URL(fileURLWithPath: peers).appendingPathComponent("erlang/actorbench.erl")
        if FileManager.default.fileExists(atPath: shared.path) {
            _ = run(erlc, ["-o", work.path, shared.path])
            let output = run(erl, ["-noshell", "-noinput", "-pa", work.path, "-run", "actorbench", "main", "all", "\(harness.runs)", "\(harness.scale)"])
            results.merge(parse(output)) { $1 }
        } else {
            emit("# \(shared.path) not found: BEAM ping-pong/fan-in/ring skipped (set TROUPE_PEERS_DIR)")
        }
        let module = work.appendingPathComponent("troupe_peer.erl")
        try? spawnModule.write(to: module, atomically: true, encoding: .utf8)
        _ = run(erlc, ["-o", work.path, module.path])
        let output = run(erl, ["-noshell", "-noinput", "-pa", work.path, "-run", "troupe_peer", "main", "\(harness.runs)", "\(harness.scale)"])
        results.merge(parse(output)) { $1 }
        let summary = results.sorted { $0.key < $1.key }.map { "\($0.key)=\(Harness.format($0.value))" }.joined(separator: " ")
        emit("# beam: \(summary)")
        return results
    }

    /// `MEDIAN <name> ... rate=<n>` and `VALUE <name> <n>` lines.
    private static func parse(_ output: String) -> [String: Double] {
        var results: [String: Double] = [:]
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.first == "MEDIAN", fields.count > 2, let rate = fields.last?.split(separator: "=").last.flatMap({ Double($0) }) {
                results[String(fields[1])] = rate
            } else if fields.first == "VALUE", fields.count == 3, let value = Double(fields[2]) {
                results[String(fields[1])] = value
            }
        }
        return results
    }

    private static func which(_ command: String) -> String? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(directory)/\(command)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    private static func run(_ executable: String, _ arguments: [String]) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return "" }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// Spawn-and-stop (each process exits at once; the parent is told through a monitor,
    /// as a Troupe supervisor is told of a child's exit) and the memory of an idle process.
    private static let spawnModule = """
    -module(troupe_peer).
    -export([main/1]).

    main([RunsArg, ScaleArg]) ->
        Runs = list_to_integer(RunsArg),
        Scale = to_float(ScaleArg),
        N = max(1, round(100000 * Scale)),
        spawn_stop(N),
        Rates = [spawn_stop(N) || _ <- lists:seq(1, Runs)],
        Rate = lists:nth(length(Rates) div 2 + 1, lists:sort(Rates)),
        io:format("MEDIAN spawn msgs=~p rate=~p~n", [N, round(Rate)]),
        io:format("VALUE process-memory ~p~n", [process_memory(N)]),
        halt(0).

    to_float(S) -> try list_to_float(S) catch error:badarg -> float(list_to_integer(S)) end.

    spawn_stop(N) ->
        T0 = erlang:monotonic_time(nanosecond),
        [spawn_monitor(fun() -> ok end) || _ <- lists:seq(1, N)],
        wait_down(N),
        N / ((erlang:monotonic_time(nanosecond) - T0) / 1.0e9).

    wait_down(0) -> ok;
    wait_down(K) -> receive {'DOWN', _, process, _, _} -> wait_down(K - 1) end.

    process_memory(N) ->
        erlang:garbage_collect(),
        Before = erlang:memory(processes),
        Pids = [spawn(fun() -> receive stop -> ok end end) || _ <- lists:seq(1, N)],
        After = erlang:memory(processes),
        [P ! stop || P <- Pids],
        round((After - Before) / N).
    """
}
