import Troupe
import TroupeStore

extension Backend {
    /// Aggregates of the whole backend, one `name value` a line (STATS). No user names: only
    /// counts, depths and latencies. The services are asked at once under one deadline
    /// (``BackendConfiguration/statsTimeout``); one that does not answer in time is left out.
    func statsLines() async -> [(String, String)] {
        var lines: [(String, String)] = []
        let pool = services.pool
        let writer = services.writer
        let bus = services.bus
        let limiter = self.limiter
        let weights = self.weights
        enum Part: Sendable {
            case pool(PoolMetrics)
            case writer(WriterMetrics)
            case bus(EventBusMetrics)
            case limiter(RateLimiterMetrics)
            case weights(TTLCacheMetrics)
        }
        let parts = await FanOut.settled([
            { @Sendable in Part.pool(try await pool.metrics()) },
            { @Sendable in Part.writer(try await writer.metrics()) },
            { @Sendable in Part.bus(try await bus.metrics()) },
            { @Sendable in Part.limiter(try await limiter.metrics()) },
            { @Sendable in Part.weights(try await weights.metrics()) },
        ], deadline: configuration.statsTimeout, clock: system.clock)
        let all = system.allMetrics()
        lines.append(("connections", "\(connectionCount)"))
        lines.append(("actors", "\(system.liveActorCount)"))
        lines.append(("mailbox_depth_total", "\(all.reduce(0) { $0 + $1.mailboxDepth })"))
        lines.append(("mailbox_depth_max", "\(all.map(\.mailboxDepth).max() ?? 0)"))
        lines.append(("mailbox_dropped_total", "\(all.reduce(0) { $0 + $1.dropped })"))
        lines.append(("restarts_total", "\(all.reduce(0) { $0 + $1.restarts })"))
        lines.append(("dead_letters_total", "\(system.deadLetters.total)"))
        lines.append(("abandoned_tasks_total", "\(system.abandonedTasksTotal)"))
        lines.append(("ask_cycles_total", "\(system.askCyclesTotal)"))
        for (name, keyed) in [("sessions", sessions.metrics), ("caches", caches.metrics), ("rooms", rooms.metrics)] {
            lines.append(("\(name)_live", "\(keyed.live)"))
            lines.append(("\(name)_passivated", "\(keyed.passivated)"))
            lines.append(("\(name)_evicted", "\(keyed.evicted)"))
        }
        let counters = services.counters
        lines.append(("cache_hits", "\(counters.cacheHits.load(ordering: .relaxed))"))
        lines.append(("cache_misses", "\(counters.cacheMisses.load(ordering: .relaxed))"))
        lines.append(("rate_limited", "\(counters.rateLimited.load(ordering: .relaxed))"))
        lines.append(("failed_logins", "\(counters.failedLogins.load(ordering: .relaxed))"))
        lines.append(("cache_invalidations_lost", "\(counters.invalidationsLost.load(ordering: .relaxed))"))
        lines.append(("credits_dropped", "\(counters.creditsDropped.load(ordering: .relaxed))"))
        lines.append(("pushes_dropped_at_bus", "\(counters.pushesDroppedAtBus.load(ordering: .relaxed))"))
        lines.append(("kdf_queued", "\(kdf.metrics.queued)"))
        for source in statsSources.withLock({ $0 }) {
            lines += source().map { ($0.0, "\($0.1)") }
        }
        for part in parts {
            guard case .success(let part) = part else { continue }
            switch part {
            case .pool(let pool):
                lines.append(("pool_in_use", "\(pool.inUse)"))
                lines.append(("pool_idle", "\(pool.idle)"))
                lines.append(("pool_waiting", "\(pool.waiting)"))
                lines.append(("pool_breaker", "\(pool.breaker.phase)"))
            case .writer(let writer):
                lines.append(("writer_pending", "\(writer.pending)"))
                lines.append(("writer_transactions", "\(writer.transactions)"))
                lines.append(("writer_writes", "\(writer.writes)"))
            case .bus(let bus):
                lines.append(("bus_sinks", "\(bus.sinkSubscriptions)"))
                lines.append(("bus_mailbox_depth", "\(bus.busMailboxDepth)"))
                lines.append(("bus_deliveries", "\(bus.sinkDeliveries)"))
                lines.append(("bus_refused_by_sinks", "\(bus.sinkRefusals)"))
                lines.append(("bus_dropped", "\(bus.sinkEventsDropped)"))
            case .limiter(let limiter):
                lines.append(("rate_limiter_keys", "\(limiter.liveKeys)"))
            case .weights(let weights):
                lines.append(("weights_cache_hits", "\(weights.hits)"))
                lines.append(("weights_cache_misses", "\(weights.misses)"))
                lines.append(("weights_cache_loads", "\(weights.loads)"))
            }
        }
        for (command, histogram) in metrics.latencies {
            let name = command.lowercased()
            lines.append(("latency_\(name)_count", "\(histogram.count)"))
            for (label, q) in [("p50", 0.5), ("p95", 0.95), ("p99", 0.99)] {
                let micros = histogram.quantile(q).map { Int64(($0 * 1_000_000).rounded()) } ?? 0
                lines.append(("latency_\(name)_\(label)_us", "\(micros)"))
            }
        }
        return lines
    }

    /// Adds counters of another layer to `STATS` and `METRICS`: `source` is called on each
    /// request for them (so it must be cheap and never block) and returns `name value`
    /// pairs, names in `[a-z0-9_]` and not clashing with the backend's own. The TCP front
    /// adds its connection and output counters this way.
    public func addStatsSource(_ source: @escaping @Sendable () -> [(String, Int)]) {
        statsSources.withLock { $0.append(source) }
    }

    func statsText() async -> String {
        await statsLines().map { "\($0.0) \($0.1)\n" }.joined()
    }

    /// The same aggregates as Prometheus text exposition (METRICS, and the front's
    /// `GET /metrics`): a gauge per aggregate and a latency histogram per command.
    public func metricsText() async -> String {
        let aggregates = await statsLines().filter { !$0.0.hasPrefix("latency_") }
        return metrics.prometheusText(aggregates: aggregates)
    }
}
