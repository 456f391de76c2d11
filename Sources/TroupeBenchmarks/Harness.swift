import Foundation

/// Measures a workload several times and prints medians in the `BENCH` line format:
/// `BENCH <name> value=<number> unit=<unit>` and, with a peer measured in the same run,
/// ` peer=<peer-name> peer_value=<number> ratio=<value/peer_value>`.
struct Harness {
    /// Timed runs per figure (after one untimed warm-up run); the median is reported.
    let runs: Int
    /// Scales every workload (0.1 for a quick look).
    let scale: Double

    func count(_ full: Int) -> Int {
        max(1, Int((Double(full) * scale).rounded()))
    }

    /// Median rate (operations per second) of `body`, which performs `operations` and
    /// returns how long it took.
    func rate(operations: Int, _ body: () async throws -> Duration) async rethrows -> Double {
        _ = try await body()
        var rates: [Double] = []
        for _ in 0..<runs {
            let elapsed = try await body()
            rates.append(Double(operations) / elapsed.seconds)
        }
        return rates.sorted()[rates.count / 2]
    }

    static func line(_ name: String, value: Double, unit: String, peer: (name: String, value: Double)? = nil) -> String {
        var line = "BENCH \(name) value=\(format(value)) unit=\(unit)"
        if let peer {
            line += " peer=\(peer.name) peer_value=\(format(peer.value)) ratio=\(String(format: "%.2f", value / peer.value))"
        }
        return line
    }

    static func format(_ value: Double) -> String {
        value >= 100 ? String(Int(value.rounded())) : String(format: "%.2f", value)
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// Times `body` on the monotonic clock.
func measure(_ body: () async throws -> Void) async rethrows -> Duration {
    let start = ContinuousClock.now
    try await body()
    return ContinuousClock.now - start
}

/// Prints a line and flushes, so progress shows while later figures run.
func emit(_ line: String) {
    print(line)
    fflush(nil)
}
