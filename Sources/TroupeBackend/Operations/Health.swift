import Troupe

/// Whether the backend can serve: what `HEALTH` answers.
public enum Health: Sendable, Hashable {
    /// Storage answers.
    case ok
    /// Storage is unreachable or its circuit breaker is open; the text says why.
    case unavailable(String)
}

/// The last health verdict, readable without a hop (the front answers `HEALTH` on its
/// event loop). Written by the health monitor actor after every probe.
final class HealthBoard: Sendable {
    private let current = Locked(Health.ok)

    var health: Health { current.withLock { $0 } }

    func set(_ health: Health) {
        current.withLock { $0 = health }
    }
}
