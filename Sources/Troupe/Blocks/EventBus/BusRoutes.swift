/// The routes of every topic, as publishers read them: written only by the bus actor
/// (which owns the subscriptions), read by any publisher without a message to the actor.
///
/// Each topic's routes are an immutable array replaced whole on every change, so a
/// publisher holds the lock only to copy a reference, and publishing to many subscribers
/// never waits for the bus actor. Next to them, the number of sinks subscribed to the
/// topic: a publisher hands an event to the bus actor (for its sinks) only if there are any.
/// It also numbers subscriptions: it is made once per ``EventBus`` and handed to every
/// incarnation of the bus actor, so the numbering survives restarts.
// Unchecked Sendable: `table`, `sinkEventsDropped` and `lastSubscriptionID` are only read
// and written while `lock` is held; routes are `Sendable`.
final class BusRoutes<Topic: Hashable & Sendable, Event: Sendable>: @unchecked Sendable {
    /// What publishers need to know about one topic.
    struct Entry {
        /// The actor subscriptions, in subscription order.
        var routes: [BusRoute<Event>] = []
        /// Sink subscriptions (their sinks live in the bus actor's state).
        var sinks = 0

        var isEmpty: Bool { routes.isEmpty && sinks == 0 }
    }

    private let lock = Lock()
    private var table: [Topic: Entry] = [:]
    /// Events for sinks refused by the bus actor's full mailbox, since the bus was made
    /// (restarts of the bus actor do not reset it).
    private var sinkEventsDropped = 0
    /// The last subscription id handed out (0: none yet).
    ///
    /// Invariant: ids are unique for the life of the bus, across restarts of the bus
    /// actor: a stale subscription (one that ended with an earlier incarnation) can never
    /// end another. That is why the counter lives here, not in the bus actor's state,
    /// which a restart starts afresh. Bound: 2^64 - 1 ids; at a billion subscriptions a
    /// second that is over 500 years, so the increment cannot overflow in practice.
    private var lastSubscriptionID: UInt64 = 0

    func entry(for topic: Topic) -> Entry {
        lock.withLock { table[topic] ?? Entry() }
    }

    func set(_ routes: [BusRoute<Event>], for topic: Topic) {
        update(topic) { $0.routes = routes }
    }

    func setSinks(_ count: Int, for topic: Topic) {
        update(topic) { $0.sinks = count }
    }

    /// Forgets every topic (a new incarnation of the bus actor has no subscriptions); the
    /// drop counter and the subscription numbering stay.
    func removeAll() {
        lock.withLock { table.removeAll() }
    }

    /// A subscription id never handed out before by this bus (see `lastSubscriptionID`).
    func nextSubscriptionID() -> UInt64 {
        lock.withLock {
            lastSubscriptionID += 1
            return lastSubscriptionID
        }
    }

    func countSinkEventDropped() {
        lock.withLock { sinkEventsDropped += 1 }
    }

    var droppedSinkEvents: Int {
        lock.withLock { sinkEventsDropped }
    }

    private func update(_ topic: Topic, _ change: (inout Entry) -> Void) {
        lock.withLock {
            var entry = table[topic] ?? Entry()
            change(&entry)
            table[topic] = entry.isEmpty ? nil : entry
        }
    }
}
