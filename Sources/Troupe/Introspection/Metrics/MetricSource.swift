/// What the registry holds under a name: a registered family or a collector.
protocol MetricSource: AnyObject, Sendable {
    var signature: MetricSignature { get }
    /// The family's series now. A collector runs its closure here, so the registry calls
    /// this only with its own lock released.
    func collect() -> MetricFamilySnapshot
}

/// Everything that must match for a second registration under one name to return the first
/// family; `help` is not part of it (the first registration's text is kept).
struct MetricSignature: Hashable, CustomStringConvertible {
    let type: MetricType
    let labelNames: [String]
    /// Histogram bucket bounds; empty for counters and gauges.
    let bounds: [Double]
    let maxSeries: Int
    /// A collector's name is never shared, so a signature with this set never matches.
    let isCollector: Bool

    var description: String {
        var text = isCollector ? "a \(type.rawValue) collector" : "a \(type.rawValue)"
        text += " with labels \(labelNames), at most \(maxSeries) series"
        if type == .histogram { text += ", buckets \(bounds)" }
        return text
    }
}
