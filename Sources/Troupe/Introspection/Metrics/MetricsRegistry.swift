/// Named metrics — counters, gauges, histograms and values computed at scrape time — with
/// a Prometheus text encoder (``prometheusText()``) and a plain snapshot for other encoders
/// (``snapshot()``).
///
/// ```swift
/// let metrics = MetricsRegistry()
/// let commands = try metrics.counter("chat_commands_total", help: "Commands handled.", labelNames: ["command"])
/// try commands.labels("PING").increment()
/// ```
///
/// Registration is idempotent: registering a name again with the same type, label names,
/// buckets and series cap returns the first family (its help text is kept), so components
/// can register what they use without coordinating. Anything else under a taken name
/// throws ``ConfigurationError/conflictingMetric(name:reason:)``.
///
/// # Bounds
/// Each family holds at most `maxSeries` label combinations (default
/// ``defaultMaxSeries``); further combinations, and label values longer than
/// ``maxLabelValueBytes``, are folded into one overflow series whose label values are all
/// ``overflowLabelValue`` and counted in ``MetricFamilySnapshot/overflowCount``. So label
/// values taken from input (a command name, a user agent) can never grow memory without
/// bound: a family costs at most `maxSeries + 1` series. The number of families is bounded
/// by the code that registers them: names are meant to be constants.
///
/// # Thread safety
/// Every method is safe from any thread or task, and none suspends. The registry's pthread
/// lock guards only the name → family table: it is taken to register and to list the
/// families at scrape time, never by a handle. Each family has its own lock for its label
/// table, and each handle its own synchronisation (an atomic for ``Counter`` and ``Gauge``,
/// a small lock for ``Histogram``), so recording a value never contends with a scrape or
/// a registration. A scrape reads each series on its own, so series recorded during it
/// may or may not be included; each histogram is read consistently. Collectors run on the
/// scraping thread with no registry lock held.
// Unchecked Sendable: `sources` is only accessed under `lock`.
public final class MetricsRegistry: @unchecked Sendable {
    /// The default cap on a family's label combinations.
    public static let defaultMaxSeries = 1_000
    /// The longest label value, in UTF-8 bytes, that gets a series of its own; longer
    /// values are folded into the overflow series.
    public static let maxLabelValueBytes = 256
    /// The label value of every label of a family's overflow series.
    public static let overflowLabelValue = "_other"

    private let lock = Lock()
    private var sources: [String: any MetricSource] = [:]

    /// An empty registry.
    public init() {}

    /// The counter family `name`, registered on first call.
    ///
    /// - Parameters:
    ///   - name: Matching `[a-zA-Z_:][a-zA-Z0-9_:]*`; by convention ending in `_total`.
    ///   - help: One line saying what is counted.
    ///   - labelNames: Matching `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`, each once.
    ///   - maxSeries: The most label combinations kept apart; at least 1.
    /// - Throws: ``ConfigurationError`` for an invalid name, label name or cap, or when
    ///   `name` is registered with another type, labels or cap.
    public func counter(
        _ name: String, help: String, labelNames: [String] = [], maxSeries: Int = defaultMaxSeries
    ) throws(ConfigurationError) -> MetricFamily<Counter> {
        try register(name, help: help, type: .counter, labelNames: labelNames, bounds: [], maxSeries: maxSeries,
                     make: { Counter() }, read: { .number(Double($0.value)) })
    }

    /// The gauge family `name`, registered on first call; parameters and errors as for
    /// ``counter(_:help:labelNames:maxSeries:)``.
    public func gauge(
        _ name: String, help: String, labelNames: [String] = [], maxSeries: Int = defaultMaxSeries
    ) throws(ConfigurationError) -> MetricFamily<Gauge> {
        try register(name, help: help, type: .gauge, labelNames: labelNames, bounds: [], maxSeries: maxSeries,
                     make: { Gauge() }, read: { .number($0.value) })
    }

    /// The histogram family `name`, registered on first call; parameters and errors as for
    /// ``counter(_:help:labelNames:maxSeries:)``, plus:
    ///
    /// - Parameter buckets: Finite upper bounds, strictly increasing; `+Inf` is implied
    ///   (and dropped if given last). The default suits request latencies in seconds.
    /// - Throws: ``ConfigurationError/invalidBuckets(metric:bounds:)`` for bad bounds;
    ///   ``ConfigurationError/invalidLabelName(metric:label:)`` for a label named `le`,
    ///   which Prometheus reserves for bucket bounds.
    public func histogram(
        _ name: String, help: String, labelNames: [String] = [], buckets: [Double] = Histogram.defaultBuckets,
        maxSeries: Int = defaultMaxSeries
    ) throws(ConfigurationError) -> MetricFamily<Histogram> {
        let bounds = buckets.last == .infinity ? Array(buckets.dropLast()) : buckets
        let increasing = zip(bounds, bounds.dropFirst()).allSatisfy { $0 < $1 }
        guard !bounds.isEmpty, bounds.allSatisfy(\.isFinite), increasing else {
            throw .invalidBuckets(metric: name, bounds: buckets)
        }
        if labelNames.contains("le") { throw .invalidLabelName(metric: name, label: "le") }
        return try register(name, help: help, type: .histogram, labelNames: labelNames, bounds: bounds,
                            maxSeries: maxSeries, make: { Histogram(upperBounds: bounds) }, read: { .histogram($0.snapshot) })
    }

    /// Registers `name` as a counter or gauge family whose samples `collect` computes at
    /// every ``snapshot()`` and ``prometheusText()`` (mailbox depths read from actors, a
    /// cache's size).
    ///
    /// `collect` runs on the scraping thread with no registry lock held; it must be quick
    /// and must not block. The registry keeps it for its whole life, so a component that
    /// may stop should capture itself weakly and return no samples once gone. Samples are
    /// normalised: equal label values are summed, and the samples beyond `maxSeries`
    /// combinations, or with the wrong number of label values, are summed into the
    /// overflow series.
    ///
    /// - Throws: ``ConfigurationError`` for an invalid name, label name or cap,
    ///   ``ConfigurationError/unsupportedCollectorType(metric:)`` for `.histogram`, and
    ///   ``ConfigurationError/conflictingMetric(name:reason:)`` when `name` is taken (a
    ///   collector's name is never shared, not even with an identical collector).
    public func addCollector(
        _ name: String, help: String, type: MetricType, labelNames: [String] = [],
        maxSeries: Int = defaultMaxSeries, collect: @escaping @Sendable () -> [MetricSample]
    ) throws(ConfigurationError) {
        guard type != .histogram else { throw .unsupportedCollectorType(metric: name) }
        let signature = MetricSignature(
            type: type, labelNames: labelNames, bounds: [], maxSeries: maxSeries, isCollector: true
        )
        try Self.validate(name, signature)
        try lock.withLock { () throws(ConfigurationError) in
            if let existing = sources[name] {
                throw .conflictingMetric(name: name, reason: "registered as \(existing.signature), requested \(signature)")
            }
            sources[name] = MetricCollector(name: name, help: help, signature: signature, body: collect)
        }
    }

    /// Every family now, sorted by name, each family's series sorted by label values with
    /// the overflow series last. Runs the collectors.
    public func snapshot() -> [MetricFamilySnapshot] {
        let listed = lock.withLock { sources.sorted { $0.key < $1.key }.map(\.value) }
        // Collected with the registry unlocked: collectors are caller code, and families
        // read their handles under their own locks.
        return listed.map { $0.collect() }
    }

    /// Every family now in the Prometheus text exposition format, version 0.0.4 (serve it
    /// as `text/plain; version=0.0.4`). Runs the collectors.
    public func prometheusText() -> String {
        PrometheusText.encode(snapshot())
    }

    private func register<Metric: Sendable>(
        _ name: String, help: String, type: MetricType, labelNames: [String], bounds: [Double], maxSeries: Int,
        make: @escaping @Sendable () -> Metric, read: @escaping @Sendable (Metric) -> MetricValue
    ) throws(ConfigurationError) -> MetricFamily<Metric> {
        let signature = MetricSignature(
            type: type, labelNames: labelNames, bounds: bounds, maxSeries: maxSeries, isCollector: false
        )
        try Self.validate(name, signature)
        return try lock.withLock { () throws(ConfigurationError) -> MetricFamily<Metric> in
            if let existing = sources[name] {
                guard existing.signature == signature, let family = existing as? MetricFamily<Metric> else {
                    throw .conflictingMetric(name: name, reason: "registered as \(existing.signature), requested \(signature)")
                }
                return family
            }
            let family = MetricFamily(name: name, help: help, signature: signature, make: make, read: read)
            sources[name] = family
            return family
        }
    }

    private static func validate(_ name: String, _ signature: MetricSignature) throws(ConfigurationError) {
        guard PrometheusText.isValidMetricName(name) else { throw .invalidMetricName(name) }
        var seen: Set<String> = []
        for label in signature.labelNames {
            guard PrometheusText.isValidLabelName(label), seen.insert(label).inserted else {
                throw .invalidLabelName(metric: name, label: label)
            }
        }
        try ConfigurationError.requirePositive(signature.maxSeries, "maxSeries of metric '\(name)'")
    }
}
