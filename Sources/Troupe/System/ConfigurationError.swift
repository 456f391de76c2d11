/// An invalid setting, reported when a specification is built, never as a trap.
///
/// Each case names the setting and the rejected value, so the message says what to fix.
public enum ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A count that must be positive (mailbox capacity, batch size, thread count, cap, ...).
    case notPositive(setting: String, value: Int)
    /// A duration that must be positive (or non-negative, as the setting says).
    case invalidDuration(setting: String, value: Duration)
    /// A fraction outside its allowed range (backoff jitter).
    case outOfRange(setting: String, value: Double, range: ClosedRange<Double>)
    /// Two children of one parent share a name.
    case duplicateChildName(String)
    /// An actor name that is empty, too long, or contains `/` or whitespace.
    case invalidName(String)
    /// A value with one place in one tree (``KeyedActors``) was started at a second place
    /// while the first, named here, still runs.
    case alreadyPlaced(String)
    /// A metric name outside Prometheus's `[a-zA-Z_:][a-zA-Z0-9_:]*` (``MetricsRegistry``).
    case invalidMetricName(String)
    /// A label name outside Prometheus's `[a-zA-Z_][a-zA-Z0-9_]*`, starting `__`, repeated
    /// within one metric, or `le` on a histogram.
    case invalidLabelName(metric: String, label: String)
    /// A metric registered again under the same name with another type, other label names,
    /// other buckets or another series cap; `reason` says what differs.
    case conflictingMetric(name: String, reason: String)
    /// Histogram bucket bounds that are empty, not finite, or not strictly increasing.
    case invalidBuckets(metric: String, bounds: [Double])
    /// A histogram asked of a collector, which computes counters and gauges only.
    case unsupportedCollectorType(metric: String)
    /// Label values whose number differs from the metric's label names.
    case labelValueCount(metric: String, expected: Int, got: Int)

    public var description: String {
        switch self {
        case .notPositive(let setting, let value):
            return "\(setting) must be at least 1, got \(value)"
        case .invalidDuration(let setting, let value):
            return "\(setting) must be a positive duration, got \(value)"
        case .outOfRange(let setting, let value, let range):
            return "\(setting) must be within \(range.lowerBound)...\(range.upperBound), got \(value)"
        case .duplicateChildName(let name):
            return "two children are named '\(name)'; sibling names must be unique"
        case .invalidName(let name):
            return "invalid actor name '\(name)': use 1-128 characters without '/' or whitespace"
        case .alreadyPlaced(let place):
            return "already placed at \(place); make one value per place, or stop that place first"
        case .invalidMetricName(let name):
            return "invalid metric name '\(name)': use [a-zA-Z_:][a-zA-Z0-9_:]*"
        case .invalidLabelName(let metric, let label):
            return "invalid label name '\(label)' on metric '\(metric)': use [a-zA-Z_][a-zA-Z0-9_]*, "
                + "not starting with '__', each name once, and not 'le' on a histogram"
        case .conflictingMetric(let name, let reason):
            return "metric '\(name)' is already registered differently: \(reason)"
        case .invalidBuckets(let metric, let bounds):
            return "invalid buckets \(bounds) for histogram '\(metric)': give at least one finite bound, "
                + "strictly increasing (+Inf is implied)"
        case .unsupportedCollectorType(let metric):
            return "collector '\(metric)' asks for a histogram; collectors compute counters and gauges only"
        case .labelValueCount(let metric, let expected, let got):
            return "metric '\(metric)' has \(expected) label name(s) but \(got) value(s) were given"
        }
    }

    static func requirePositive(_ value: Int, _ setting: String) throws(ConfigurationError) {
        if value < 1 { throw .notPositive(setting: setting, value: value) }
    }

    static func requirePositive(_ value: Duration, _ setting: String) throws(ConfigurationError) {
        if value <= .zero { throw .invalidDuration(setting: setting, value: value) }
    }

    static func requireNonNegative(_ value: Duration, _ setting: String) throws(ConfigurationError) {
        if value < .zero { throw .invalidDuration(setting: setting, value: value) }
    }
}
