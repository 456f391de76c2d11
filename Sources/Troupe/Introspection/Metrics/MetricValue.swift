/// The value of one series at one moment.
public enum MetricValue: Sendable, Hashable {
    /// A counter's or gauge's value.
    case number(Double)
    /// A histogram's buckets, sum and count.
    case histogram(HistogramSnapshot)

    /// The number, or nil for a histogram.
    public var number: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    /// The histogram, or nil for a counter or gauge.
    public var histogram: HistogramSnapshot? {
        if case .histogram(let snapshot) = self { return snapshot }
        return nil
    }
}
