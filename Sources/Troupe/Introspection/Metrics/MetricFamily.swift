/// A named metric with label names, and its series: one ``Counter``, ``Gauge`` or
/// ``Histogram`` per combination of label values, made on first use.
///
/// Get one from ``MetricsRegistry/counter(_:help:labelNames:maxSeries:)`` and its siblings.
///
/// # Bound
/// A family holds at most ``maxSeries`` label combinations. Once it is full, a new
/// combination returns the family's one overflow series, whose label values are all
/// ``MetricsRegistry/overflowLabelValue`` (`_other`), and adds 1 to ``overflowCount``; so
/// does a label value longer than ``MetricsRegistry/maxLabelValueBytes``. Label values taken
/// from input therefore cost at most `maxSeries + 1` series of bounded size, and every
/// event is still counted. Values that are all `_other` name the overflow series itself
/// (without counting), so it is never exposed twice. A family without labels has exactly
/// one series, made at registration, so it is exposed (at zero) before its first use.
///
/// # Thread safety
/// Safe from any thread or task. ``labels(_:)-(String...)`` takes the family's own pthread
/// lock (never the registry's) for one dictionary lookup; the handle it returns needs no
/// lock of the family at all, so hot paths keep the handle.
// Unchecked Sendable: `series`, `overflow` and `overflowed` are only accessed under `lock`;
// every other stored property is an immutable Sendable value.
public final class MetricFamily<Metric: Sendable>: @unchecked Sendable {
    /// The family's name.
    public let name: String
    /// The family's help text, unescaped.
    public let help: String
    /// The family's label names, in order.
    public var labelNames: [String] { signature.labelNames }
    /// The most label combinations the family holds before folding new ones into the
    /// overflow series.
    public var maxSeries: Int { signature.maxSeries }

    let signature: MetricSignature
    private let make: @Sendable () -> Metric
    private let read: @Sendable (Metric) -> MetricValue
    private let lock = Lock()
    private var series: [[String]: Metric] = [:]
    private var overflow: Metric?
    private var overflowed = 0

    init(
        name: String, help: String, signature: MetricSignature,
        make: @escaping @Sendable () -> Metric, read: @escaping @Sendable (Metric) -> MetricValue
    ) {
        self.name = name
        self.help = help
        self.signature = signature
        self.make = make
        self.read = read
        if signature.labelNames.isEmpty { series[[]] = make() }
    }

    /// The series for these label values, one per label name in order; none for a family
    /// without labels. Made on first use; folded into the overflow series when the family
    /// is full (see the type's documentation).
    ///
    /// - Throws: ``ConfigurationError/labelValueCount(metric:expected:got:)`` when the number
    ///   of values differs from the number of label names: a mistake in the calling code.
    public func labels(_ values: String...) throws(ConfigurationError) -> Metric {
        try labels(values)
    }

    /// The series for these label values, given as an array; see the variadic form.
    public func labels(_ values: [String]) throws(ConfigurationError) -> Metric {
        guard values.count == signature.labelNames.count else {
            throw .labelValueCount(metric: name, expected: signature.labelNames.count, got: values.count)
        }
        let fits = values.allSatisfy { $0.utf8.count <= MetricsRegistry.maxLabelValueBytes }
        // Values that spell the overflow series are that series, so it is never exposed twice.
        let isOverflow = !values.isEmpty && values.allSatisfy { $0 == MetricsRegistry.overflowLabelValue }
        return lock.withLock {
            if fits, !isOverflow, let existing = series[values] { return existing }
            if fits, !isOverflow, series.count < signature.maxSeries {
                let metric = make()
                series[values] = metric
                return metric
            }
            if !isOverflow { overflowed += 1 }
            if let overflow { return overflow }
            let metric = make()
            overflow = metric
            return metric
        }
    }

    /// How many times a label combination was folded into the overflow series.
    public var overflowCount: Int { lock.withLock { overflowed } }
}

extension MetricFamily: MetricSource {
    func collect() -> MetricFamilySnapshot {
        let (entries, overflow, overflowed) = lock.withLock { (Array(series), self.overflow, self.overflowed) }
        // Values are read after unlocking: each handle has its own synchronisation.
        var snapshots = entries.map { MetricSeriesSnapshot(labelValues: $0.key, value: read($0.value)) }
        snapshots.sort { $0.labelValues.lexicographicallyPrecedes($1.labelValues) }
        if let overflow {
            let values = Array(repeating: MetricsRegistry.overflowLabelValue, count: signature.labelNames.count)
            snapshots.append(MetricSeriesSnapshot(labelValues: values, value: read(overflow)))
        }
        return MetricFamilySnapshot(
            name: name, help: help, type: signature.type, labelNames: signature.labelNames,
            series: snapshots, overflowCount: overflowed
        )
    }
}
