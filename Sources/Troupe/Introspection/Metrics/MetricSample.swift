/// One value a collector computed at scrape time (see ``MetricsRegistry/addCollector(_:help:type:labelNames:maxSeries:collect:)``).
public struct MetricSample: Sendable, Hashable {
    /// One value per label name of the collector, in its order (none when it has no labels).
    public var labelValues: [String]
    /// The value.
    public var value: Double

    /// A sample with these label values and this value.
    public init(labelValues: [String] = [], value: Double) {
        self.labelValues = labelValues
        self.value = value
    }
}
