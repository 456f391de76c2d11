/// One series of a family at one moment: its label values and its value.
public struct MetricSeriesSnapshot: Sendable, Hashable {
    /// One value per label name of the family, in the family's order; all
    /// ``MetricsRegistry/overflowLabelValue`` for the overflow series.
    public let labelValues: [String]
    /// The series' value.
    public let value: MetricValue

    /// A series from its parts.
    public init(labelValues: [String], value: MetricValue) {
        self.labelValues = labelValues
        self.value = value
    }
}
