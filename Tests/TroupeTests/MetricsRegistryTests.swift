import Testing
@testable import Troupe

@Suite struct MetricsRegistryTests {
    /// The configuration error `body` throws, or nil. (Untyped: closure literals infer
    /// `any Error` here; the registry's methods all throw `ConfigurationError`.)
    func error(_ body: () throws -> Void) -> ConfigurationError? {
        do {
            try body()
            return nil
        } catch let error as ConfigurationError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test func prometheusTextOfASmallRegistryIsExact() throws {
        let registry = MetricsRegistry()
        let commands = try registry.counter("chat_commands_total", help: "Commands handled.", labelNames: ["command"])
        try commands.labels("PING").increment()
        try commands.labels("GET").increment(by: 3)
        try commands.labels("GET").increment(by: -5)  // ignored: counters never go down
        let connections = try registry.gauge("chat_connections", help: "Open connections.")
        try connections.labels().set(2)
        try connections.labels().add(-0.5)
        let latency = try registry.histogram(
            "chat_latency_seconds", help: "Time to reply.", labelNames: ["command"], buckets: [0.25, 0.5, 1]
        )
        let get = try latency.labels("GET")
        get.observe(.milliseconds(125))
        get.observe(0.25)  // on a bound: counted in that bucket (le is "less or equal")
        get.observe(.milliseconds(375))
        get.observe(.seconds(2))
        get.observe(.nan)  // ignored

        #expect(registry.prometheusText() == """
            # HELP chat_commands_total Commands handled.
            # TYPE chat_commands_total counter
            chat_commands_total{command="GET"} 3
            chat_commands_total{command="PING"} 1
            # HELP chat_connections Open connections.
            # TYPE chat_connections gauge
            chat_connections 1.5
            # HELP chat_latency_seconds Time to reply.
            # TYPE chat_latency_seconds histogram
            chat_latency_seconds_bucket{command="GET",le="0.25"} 2
            chat_latency_seconds_bucket{command="GET",le="0.5"} 3
            chat_latency_seconds_bucket{command="GET",le="1"} 3
            chat_latency_seconds_bucket{command="GET",le="+Inf"} 4
            chat_latency_seconds_sum{command="GET"} 2.75
            chat_latency_seconds_count{command="GET"} 4

            """)
    }

    @Test func numbersAreFormattedAsPrometheusReadsThem() {
        #expect(PrometheusText.format(3) == "3")
        #expect(PrometheusText.format(-0.0) == "0")
        #expect(PrometheusText.format(0.1) == "0.1")
        #expect(PrometheusText.format(0.0001) == "0.0001")
        #expect(PrometheusText.format(1e-05) == "1e-05")
        #expect(PrometheusText.format(1e20) == "1e+20")
        #expect(PrometheusText.format(.infinity) == "+Inf")
        #expect(PrometheusText.format(-.infinity) == "-Inf")
        #expect(PrometheusText.format(.nan) == "NaN")
    }

    @Test func helpTextAndLabelValuesAreEscaped() throws {
        let registry = MetricsRegistry()
        let family = try registry.counter("escaped_total", help: "Line one\nback\\slash \"quoted\"", labelNames: ["value"])
        try family.labels("a\"b\\c\nd").increment()
        #expect(registry.prometheusText() == """
            # HELP escaped_total Line one\\nback\\\\slash "quoted"
            # TYPE escaped_total counter
            escaped_total{value="a\\"b\\\\c\\nd"} 1

            """)
    }

    @Test func familiesWithoutSeriesShowOnlyTheirHeadersAndUnlabelledOnesShowZero() throws {
        let registry = MetricsRegistry()
        _ = try registry.counter("b_total", help: "Labelled.", labelNames: ["kind"])
        _ = try registry.counter("a_total", help: "Unlabelled.")
        #expect(registry.prometheusText() == """
            # HELP a_total Unlabelled.
            # TYPE a_total counter
            a_total 0
            # HELP b_total Labelled.
            # TYPE b_total counter

            """)
    }

    @Test func registeringTheSameMetricAgainReturnsTheSameFamily() throws {
        let registry = MetricsRegistry()
        let first = try registry.counter("requests_total", help: "Requests.", labelNames: ["command"])
        let second = try registry.counter("requests_total", help: "Other help, ignored.", labelNames: ["command"])
        #expect(first === second)
        try first.labels("GET").increment()
        try second.labels("GET").increment()
        #expect(try first.labels("GET") === second.labels("GET"))
        #expect(try first.labels("GET").value == 2)
        let latency = try registry.histogram("latency_seconds", help: "Latency.")
        #expect(try latency === registry.histogram("latency_seconds", help: "Latency."))
        #expect(registry.snapshot().map(\.name) == ["latency_seconds", "requests_total"])
        #expect(registry.snapshot().last?.help == "Requests.")
    }

    @Test func registeringANameDifferentlyThrows() throws {
        let registry = MetricsRegistry()
        _ = try registry.counter("requests_total", help: "Requests.", labelNames: ["command"])
        _ = try registry.histogram("latency_seconds", help: "Latency.", buckets: [0.1, 1])
        let conflicts: [ConfigurationError?] = [
            error { _ = try registry.gauge("requests_total", help: "Requests.", labelNames: ["command"]) },
            error { _ = try registry.counter("requests_total", help: "Requests.") },
            error { _ = try registry.counter("requests_total", help: "Requests.", labelNames: ["verb"]) },
            error { _ = try registry.counter("requests_total", help: "Requests.", labelNames: ["command"], maxSeries: 5) },
            error { _ = try registry.histogram("latency_seconds", help: "Latency.", buckets: [0.1, 2]) },
            error { try registry.addCollector("requests_total", help: "Requests.", type: .counter) { [] } },
        ]
        for conflict in conflicts {
            guard case .conflictingMetric(let name, let reason)? = conflict else {
                Issue.record("expected a conflict, got \(String(describing: conflict))")
                continue
            }
            #expect(name == "requests_total" || name == "latency_seconds")
            #expect(reason.hasPrefix("registered as a "))
        }
        let description = conflicts[0]?.description ?? ""
        #expect(description.contains("a counter with labels [\"command\"]"))
        #expect(description.contains("requested a gauge"))

        try registry.addCollector("depth", help: "Depth.", type: .gauge) { [] }
        guard case .conflictingMetric? = error({ try registry.addCollector("depth", help: "Depth.", type: .gauge) { [] } })
        else { Issue.record("a second collector under one name must throw"); return }
    }

    @Test func invalidNamesBucketsCapsAndLabelCountsThrow() throws {
        let registry = MetricsRegistry()
        for name in ["", "1abc", "a-b", "with space", "ünicode", "a.b"] {
            #expect(error { _ = try registry.counter(name, help: "") } == .invalidMetricName(name))
        }
        for label in ["", "__reserved", "1a", "a:b", "a-b"] {
            #expect(error { _ = try registry.counter("m_total", help: "", labelNames: [label]) }
                == .invalidLabelName(metric: "m_total", label: label))
        }
        #expect(error { _ = try registry.gauge("m", help: "", labelNames: ["a", "a"]) }
            == .invalidLabelName(metric: "m", label: "a"))
        #expect(error { _ = try registry.histogram("h", help: "", labelNames: ["le"]) }
            == .invalidLabelName(metric: "h", label: "le"))
        for bounds: [Double] in [[], [1, 1], [2, 1], [.nan], [-.infinity, 1], [.infinity]] {
            guard case .invalidBuckets(metric: "h", bounds: _)? = error({ _ = try registry.histogram("h", help: "", buckets: bounds) })
            else { Issue.record("buckets \(bounds) must be rejected"); continue }
        }
        #expect(error { _ = try registry.gauge("m", help: "", maxSeries: 0) }
            == .notPositive(setting: "maxSeries of metric 'm'", value: 0))
        #expect(error { try registry.addCollector("c", help: "", type: .histogram) { [] } }
            == .unsupportedCollectorType(metric: "c"))
        #expect(registry.snapshot().isEmpty)

        // Valid names, and a trailing +Inf bound, are accepted.
        _ = try registry.counter("_a:b_c1", help: "", labelNames: ["_x", "y1"])
        let histogram = try registry.histogram("h", help: "", buckets: [1, 2, .infinity])
        #expect(histogram.signature.bounds == [1, 2])

        let family = try registry.counter("pairs_total", help: "", labelNames: ["a", "b"])
        #expect(error { _ = try family.labels("x") } == .labelValueCount(metric: "pairs_total", expected: 2, got: 1))
        #expect(error { _ = try family.labels("x", "y", "z") } == .labelValueCount(metric: "pairs_total", expected: 2, got: 3))
        #expect(family.overflowCount == 0)
    }

    @Test func combinationsBeyondTheCapAreFoldedIntoOneOverflowSeriesAndCounted() throws {
        let registry = MetricsRegistry()
        let family = try registry.counter("commands_total", help: "Commands.", labelNames: ["command"], maxSeries: 2)
        for command in ["GET", "SET", "DEL", "GET", "XADD", "SET", "DEL"] {
            try family.labels(command).increment()
        }
        let tooLong = String(repeating: "x", count: MetricsRegistry.maxLabelValueBytes + 1)
        try family.labels(tooLong).increment()
        // A value spelling the overflow series is that series, not a second one.
        try family.labels(MetricsRegistry.overflowLabelValue).increment()

        #expect(family.overflowCount == 4)  // DEL, XADD, DEL, the long value
        #expect(try family.labels("GET").value == 2)
        #expect(try family.labels("SET").value == 2)
        #expect(try family.labels("ANYTHING") === family.labels("DEL"))
        #expect(registry.prometheusText() == """
            # HELP commands_total Commands.
            # TYPE commands_total counter
            commands_total{command="GET"} 2
            commands_total{command="SET"} 2
            commands_total{command="_other"} 5

            """)
        let snapshot = try #require(registry.snapshot().first)
        #expect(snapshot.series.count == 3)
        #expect(snapshot.overflowCount == 6)  // and the two lookups just above
        #expect(snapshot.series("_other")?.value == .number(5))
    }

    @Test func concurrentUpdatesFromEightTasksSumExactly() async throws {
        let registry = MetricsRegistry()
        let counters = try registry.counter("hits_total", help: "Hits.", labelNames: ["shard"])
        let gauge = try registry.gauge("level", help: "Level.").labels()
        let histogram = try registry.histogram("latency_seconds", help: "Latency.", buckets: [0.5, 1]).labels()
        let tasks = 8
        let iterations = 10_000
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                // Scrapes race with the updates: each sees a consistent histogram.
                for _ in 0..<50 {
                    let snapshot = registry.snapshot().first { $0.name == "latency_seconds" }?.series()?.value.histogram
                    #expect(snapshot?.cumulativeCounts.last == snapshot?.count)
                }
            }
            for task in 0..<tasks {
                group.addTask {
                    // Half the tasks share one series, looked up every time; the others keep a handle.
                    let own = try? counters.labels("shard\(task % 2)")
                    for _ in 0..<iterations {
                        if task < tasks / 2 { try? counters.labels("shared").increment() } else { own?.increment() }
                        gauge.add(1)
                        histogram.observe(Double(task % 3) * 0.5)  // 0, 0.5 or 1
                    }
                }
            }
        }
        #expect(try counters.labels("shared").value == tasks / 2 * iterations)
        #expect(try counters.labels("shard0").value + counters.labels("shard1").value == tasks / 2 * iterations)
        #expect(gauge.value == Double(tasks * iterations))
        let snapshot = histogram.snapshot
        #expect(snapshot.count == UInt64(tasks * iterations))
        #expect(snapshot.cumulativeCounts == [60_000, 80_000, 80_000])  // tasks 0,1,3,4,6,7 observe ≤ 0.5; 2 and 5 observe 1
        #expect(snapshot.sum == 10_000 * (0 + 0.5 + 1 + 0 + 0.5 + 1 + 0 + 0.5))
    }

    @Test func quantilesAreInterpolatedWithinBuckets() throws {
        let registry = MetricsRegistry()
        let histogram = try registry.histogram("q_seconds", help: "", buckets: [1, 2, 4]).labels()
        #expect(histogram.snapshot.quantile(0.5) == nil)
        for _ in 0..<50 { histogram.observe(0.5) }
        for _ in 0..<30 { histogram.observe(1.5) }
        for _ in 0..<20 { histogram.observe(3) }

        let family = try #require(registry.snapshot().first?.series()?.value.histogram)
        #expect(family.count == 100)
        #expect(family.sum == 25 + 45 + 60)
        #expect(family.bucketCounts == [50, 30, 20, 0])
        #expect(family.quantile(0) == 0)  // the first bucket's lower bound
        #expect(family.quantile(0.5) == 1)  // rank 50: the top of the first bucket
        #expect(try abs(#require(family.quantile(0.6)) - (1 + 10.0 / 30)) < 1e-12)
        #expect(family.quantile(0.95) == 3.5)  // rank 95: 15 of 20 into (2, 4]
        #expect(try abs(#require(family.quantile(0.99)) - 3.9) < 1e-12)
        #expect(family.quantile(1) == 4)
        #expect(family.quantile(7) == 4)  // clamped
        #expect(family.quantile(.nan) == nil)

        // A rank in the +Inf bucket reports the largest finite bound.
        let wide = try registry.histogram("wide_seconds", help: "", buckets: [1, 2]).labels()
        wide.observe(0.5)
        wide.observe(100)
        #expect(wide.snapshot.quantile(0.99) == 2)
        #expect(wide.snapshot.quantile(0.5) == 1)
    }

    @Test func collectorsSamplesAppearInTheTextAndTheSnapshot() throws {
        let registry = MetricsRegistry()
        let depth = Gauge()  // stands for state a component reads at scrape time
        try registry.addCollector("mailbox_depth", help: "Messages queued.", type: .gauge, labelNames: ["actor"]) {
            [
                MetricSample(labelValues: ["/user/b"], value: depth.value),
                MetricSample(labelValues: ["/user/a"], value: 1),
                MetricSample(labelValues: ["/user/a"], value: 1),  // equal labels are summed
                MetricSample(labelValues: [], value: 7),  // wrong count: folded
            ]
        }
        try registry.addCollector("uptime_seconds_total", help: "Uptime.", type: .counter) {
            [MetricSample(value: 12.5)]
        }
        depth.set(3)
        let expected = { (b: String) in
            """
            # HELP mailbox_depth Messages queued.
            # TYPE mailbox_depth gauge
            mailbox_depth{actor="/user/a"} 2
            mailbox_depth{actor="/user/b"} \(b)
            mailbox_depth{actor="_other"} 7
            # HELP uptime_seconds_total Uptime.
            # TYPE uptime_seconds_total counter
            uptime_seconds_total 12.5

            """
        }
        #expect(registry.prometheusText() == expected("3"))
        depth.set(9)  // collected anew at every scrape
        #expect(registry.prometheusText() == expected("9"))
        let snapshot = registry.snapshot()
        #expect(snapshot.first?.series("/user/b")?.value.number == 9)
        #expect(snapshot.first?.overflowCount == 1)
        #expect(snapshot.last?.series()?.value.number == 12.5)
    }

    @Test func collectorsKeepAtMostTheirCapAndFoldTheRest() throws {
        let registry = MetricsRegistry()
        try registry.addCollector("queue_depth", help: "", type: .gauge, labelNames: ["queue"], maxSeries: 2) {
            ["d", "c", "b", "a"].map { MetricSample(labelValues: [$0], value: 1) }
        }
        let family = try #require(registry.snapshot().first)
        #expect(family.series.map(\.labelValues) == [["a"], ["b"], ["_other"]])
        #expect(family.series("_other")?.value == .number(2))
        #expect(family.overflowCount == 2)
    }
}
