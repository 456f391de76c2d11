import Troupe
import TroupeStore

/// The shared services every part of the backend reaches: storage, the event bus, and the
/// settings. One immutable object: every actor holds a reference to it (a per-user actor
/// pays one pointer for it, not a copy of the configuration); the façades in it are
/// `Sendable` handles to their actors.
final class BackendServices: Sendable {
    let configuration: BackendConfiguration
    let wallClock: WallClock
    let pool: DatabasePool
    let writer: GroupCommitWriter
    let bus: EventBus<PushTopic, Push>
    let counters: BackendCounters
    /// The per-user cache's settings (TTL and page cap from the configuration).
    let cacheConfiguration: TTLCacheConfiguration

    init(
        configuration: BackendConfiguration, wallClock: WallClock, pool: DatabasePool, writer: GroupCommitWriter,
        bus: EventBus<PushTopic, Push>, counters: BackendCounters, cacheConfiguration: TTLCacheConfiguration
    ) {
        self.configuration = configuration
        self.wallClock = wallClock
        self.pool = pool
        self.writer = writer
        self.bus = bus
        self.counters = counters
        self.cacheConfiguration = cacheConfiguration
    }

    /// Offers `push` to the bus without waiting: the bus actor offers it to every sink of
    /// `topic`. A full bus drops it (counted).
    func publish(_ push: Push, to topic: PushTopic) {
        let report = bus.tryPublish(push, to: topic)
        if report.dropped > 0 { counters.pushesDroppedAtBus.add(report.dropped, ordering: .relaxed) }
    }
}

extension BackendServices {
    /// Logs `message` at `level` through the configured logger, one line, `key=value` style.
    func log(_ level: LogLevel, _ message: String) {
        guard level >= configuration.logLevel else { return }
        configuration.logger(level, message)
    }
}
