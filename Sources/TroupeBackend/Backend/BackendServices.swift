import Troupe
import TroupeStore

/// The shared services every part of the backend reaches: storage, the event bus, and the
/// settings. A value: each actor holds a copy; the façades in it are `Sendable` handles to
/// their actors.
struct BackendServices: Sendable {
    let configuration: BackendConfiguration
    let wallClock: WallClock
    let pool: DatabasePool
    let writer: GroupCommitWriter
    let bus: EventBus<PushTopic, Push>
    let counters: BackendCounters
    /// The per-user cache's settings (TTL and page cap from the configuration).
    let cacheConfiguration: TTLCacheConfiguration

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
