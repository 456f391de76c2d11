/// The routes of every topic, as publishers read them: written only by the bus actor
/// (which owns the subscriptions), read by any publisher without a message to the actor.
///
/// Each topic's routes are an immutable array replaced whole on every change, so a
/// publisher holds the lock only to copy a reference, and publishing to many subscribers
/// never waits for the bus actor.
// Unchecked Sendable: `table` is only read and written while `lock` is held; its routes are `Sendable`.
final class BusRoutes<Topic: Hashable & Sendable, Event: Sendable>: @unchecked Sendable {
    private let lock = Lock()
    private var table: [Topic: [BusRoute<Event>]] = [:]

    func routes(for topic: Topic) -> [BusRoute<Event>] {
        lock.withLock { table[topic] ?? [] }
    }

    func set(_ routes: [BusRoute<Event>], for topic: Topic) {
        lock.withLock { table[topic] = routes.isEmpty ? nil : routes }
    }

    func removeAll() {
        lock.withLock { table.removeAll() }
    }
}
