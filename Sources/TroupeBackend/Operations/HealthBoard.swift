import Troupe

/// The last health verdict, readable without a hop (the front answers `HEALTH` on its
/// event loop). Written by the health monitor actor after every probe.
final class HealthBoard: Sendable {
    private let current = Locked(Health.ok)

    var health: Health { current.withLock { $0 } }

    func set(_ health: Health) {
        current.withLock { $0 = health }
    }
}
