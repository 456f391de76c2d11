import Synchronization

/// The routes of every topic, as publishers read them: written only by the bus actor
/// (which owns the subscriptions), read by any publisher without a message to the actor.
///
/// Each topic's routes are an immutable array replaced whole on every change, so a
/// publisher holds the lock only to copy a reference, and publishing to many subscribers
/// never waits for the bus actor.
final class BusRoutes<Topic: Hashable & Sendable, Event: Sendable>: Sendable {
    private let table = Mutex<[Topic: [BusRoute<Event>]]>([:])

    func routes(for topic: Topic) -> [BusRoute<Event>] {
        table.withLock { $0[topic] ?? [] }
    }

    func set(_ routes: [BusRoute<Event>], for topic: Topic) {
        table.withLock { $0[topic] = routes.isEmpty ? nil : routes }
    }

    func removeAll() {
        table.withLock { $0.removeAll() }
    }
}
