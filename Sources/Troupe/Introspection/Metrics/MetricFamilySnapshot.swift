/// A metric family at one moment: what ``MetricsRegistry/snapshot()`` returns, for encoders
/// other than Prometheus text (a `STATS` reply, a log line) to read the same numbers.
public struct MetricFamilySnapshot: Sendable, Hashable {
    /// The family's name.
    public let name: String
    /// The family's help text, unescaped.
    public let help: String
    /// The family's type.
    public let type: MetricType
    /// The family's label names, in registration order.
    public let labelNames: [String]
    /// The family's series, sorted by label values, the overflow series (if any) last.
    public let series: [MetricSeriesSnapshot]
    /// How many times a label combination was folded into the overflow series because the
    /// family was full (or the values were too long, or, from a collector, of the wrong
    /// number). For a registered family this accumulates over the registry's life; for a
    /// collector it counts the samples folded in this collection.
    public let overflowCount: Int

    /// A snapshot from its parts.
    public init(
        name: String, help: String, type: MetricType, labelNames: [String],
        series: [MetricSeriesSnapshot], overflowCount: Int
    ) {
        self.name = name
        self.help = help
        self.type = type
        self.labelNames = labelNames
        self.series = series
        self.overflowCount = overflowCount
    }

    /// The series with exactly these label values (none for an unlabelled family), or nil.
    public func series(_ labelValues: String...) -> MetricSeriesSnapshot? {
        series.first { $0.labelValues == labelValues }
    }
}
