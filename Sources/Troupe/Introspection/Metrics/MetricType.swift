/// The kind of a metric family, as Prometheus names it in `# TYPE` lines.
public enum MetricType: String, Sendable, Hashable, CaseIterable {
    /// A count that only goes up (requests served, errors), reset only when the process restarts.
    case counter
    /// A value that goes up and down (connections open, mailbox depth).
    case gauge
    /// Observations counted into fixed buckets, with their sum and count (request latency).
    case histogram
}
