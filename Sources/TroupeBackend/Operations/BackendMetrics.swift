import Troupe

/// The backend's metrics registry: a latency histogram per command, recorded on every
/// request, and the aggregates of `STATS` as gauges, refreshed at each scrape. `METRICS`
/// and the front's `GET /metrics` render it as Prometheus text. Aggregates only: no label
/// or value ever holds a user name (the only label is the command, from a fixed table).
final class BackendMetrics: Sendable {
    let registry = MetricsRegistry()
    /// One histogram per command name, made at start: recording is a dictionary read and
    /// the histogram's own lock, never the registry's.
    private let durations: [String: Histogram]

    /// Upper bounds of the latency buckets, in seconds: 25 µs to 10 s.
    static let buckets: [Double] = [
        0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]

    init() throws(ConfigurationError) {
        let family = try registry.histogram(
            "troupe_command_duration_seconds", help: "Time from a request's arrival in the backend to its reply, by command.",
            labelNames: ["command"], buckets: Self.buckets, maxSeries: Self.commandNames.count
        )
        var durations: [String: Histogram] = [:]
        for name in Self.commandNames { durations[name] = try family.labels(name) }
        self.durations = durations
    }

    func record(_ command: String, _ duration: Duration) {
        durations[command]?.observe(duration)
    }

    /// Each command's latency so far (those with at least one request), by name.
    var latencies: [(command: String, histogram: HistogramSnapshot)] {
        durations.map { ($0.key, $0.value.snapshot) }.filter { $0.histogram.count > 0 }.sorted { $0.command < $1.command }
    }

    /// Sets the gauge `troupe_<name>` for each aggregate and renders everything.
    func prometheusText(aggregates: [(String, String)]) -> String {
        for (name, value) in aggregates {
            guard let number = Double(value),
                  let gauge = try? registry.gauge("troupe_\(name)", help: "The STATS aggregate \(name).").labels() else { continue }
            gauge.set(number)
        }
        return registry.prometheusText()
    }

    static let commandNames = [
        "PING", "HEALTH", "HELLO", "QUIT", "REGISTER", "LOGIN", "AUTH", "RESUME", "WHOAMI", "LOGOUT", "JOIN", "LEAVE", "SAY",
        "HISTORY", "DM", "DMS", "ENGAGE", "PROGRESS", "UNLOCKS", "VOTE", "STATS", "METRICS", "TREE", "WEIGHT", "CRASH",
    ]
}
