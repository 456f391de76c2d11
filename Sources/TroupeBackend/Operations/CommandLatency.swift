import Synchronization
import Troupe

/// Handling latency per command, from the request's arrival in the backend to its reply.
/// The histograms are the runtime's (fixed buckets, constant memory); the key set is the
/// fixed command table, so it cannot grow with input.
final class CommandLatency: Sendable {
    private let histograms = Mutex<[String: LatencyHistogram]>([:])

    func record(_ command: String, _ duration: Duration) {
        histograms.withLock { $0[command, default: LatencyHistogram()].record(duration) }
    }

    /// Every command seen so far, by name.
    var snapshot: [String: LatencyHistogram] { histograms.withLock { $0 } }
}
