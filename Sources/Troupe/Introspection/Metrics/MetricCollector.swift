/// A family whose series a closure computes at scrape time (mailbox depths read from
/// actors, a cache's size), registered with ``MetricsRegistry/addCollector(_:help:type:labelNames:maxSeries:collect:)``.
///
/// The closure's samples are normalised so the output is always valid Prometheus text:
/// samples with equal label values are summed into one series; at most `maxSeries`
/// combinations are kept (the first in sorted order) and the rest, with samples of the
/// wrong number of values or a value longer than ``MetricsRegistry/maxLabelValueBytes``,
/// are summed into the overflow series (as are samples whose values are all `_other`). A
/// collector without labels has one series: all its samples are summed into it.
final class MetricCollector: MetricSource {
    let name: String
    let help: String
    let signature: MetricSignature
    private let body: @Sendable () -> [MetricSample]

    init(name: String, help: String, signature: MetricSignature, body: @escaping @Sendable () -> [MetricSample]) {
        self.name = name
        self.help = help
        self.signature = signature
        self.body = body
    }

    func collect() -> MetricFamilySnapshot {
        let labelCount = signature.labelNames.count
        var sums: [[String]: Double] = [:]
        var overflowSum: Double?
        var overflowed = 0
        for sample in body() {
            let fits = sample.labelValues.count == labelCount
                && sample.labelValues.allSatisfy { $0.utf8.count <= MetricsRegistry.maxLabelValueBytes }
            if labelCount == 0 {
                // One series only; there is no overflow series to fold into.
                sums[[], default: 0] += sample.value
            } else if fits && sample.labelValues.allSatisfy({ $0 == MetricsRegistry.overflowLabelValue }) {
                overflowSum = (overflowSum ?? 0) + sample.value
            } else if fits {
                sums[sample.labelValues, default: 0] += sample.value
            } else {
                overflowSum = (overflowSum ?? 0) + sample.value
                overflowed += 1
            }
        }
        var kept = sums.sorted { $0.key.lexicographicallyPrecedes($1.key) }
        if kept.count > signature.maxSeries {
            for folded in kept[signature.maxSeries...] {
                overflowSum = (overflowSum ?? 0) + folded.value
                overflowed += 1
            }
            kept.removeSubrange(signature.maxSeries...)
        }
        var series = kept.map { MetricSeriesSnapshot(labelValues: $0.key, value: .number($0.value)) }
        if let overflowSum {
            let values = Array(repeating: MetricsRegistry.overflowLabelValue, count: labelCount)
            series.append(MetricSeriesSnapshot(labelValues: values, value: .number(overflowSum)))
        }
        return MetricFamilySnapshot(
            name: name, help: help, type: signature.type, labelNames: signature.labelNames,
            series: series, overflowCount: overflowed
        )
    }
}
