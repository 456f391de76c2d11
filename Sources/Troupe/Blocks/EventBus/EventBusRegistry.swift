/// The subscriptions of an event bus, by id, topic and subscriber, as a plain value owned
/// by the bus actor. Ids come from ``BusRoutes/nextSubscriptionID()``, not from here: this
/// value starts afresh with each incarnation of the bus actor, and ids must not.
///
/// # Invariants
/// - A subscription is in `records`, in its topic's list and in its subscriber's set, or in
///   none of them.
/// - Each topic's list is in subscription order (publishers deliver in that order).
struct EventBusRegistry<Topic: Hashable & Sendable, Event: Sendable> {
    struct Record {
        let subscription: BusSubscription<Topic>
        let route: BusRoute<Event>
    }

    private(set) var records: [UInt64: Record] = [:]
    private var byTopic: [Topic: [UInt64]] = [:]
    private var bySubscriber: [ActorPath: Set<UInt64>] = [:]

    mutating func add(_ route: BusRoute<Event>, topic: Topic) -> BusSubscription<Topic> {
        let subscription = BusSubscription(id: route.id, topic: topic, subscriber: route.subscriber)
        records[route.id] = Record(subscription: subscription, route: route)
        byTopic[topic, default: []].append(route.id)
        bySubscriber[route.subscriber, default: []].insert(route.id)
        return subscription
    }

    mutating func remove(_ id: UInt64) -> Record? {
        guard let record = records.removeValue(forKey: id) else { return nil }
        let topic = record.subscription.topic
        byTopic[topic]?.removeAll { $0 == id }
        if byTopic[topic]?.isEmpty == true { byTopic.removeValue(forKey: topic) }
        bySubscriber[record.route.subscriber]?.remove(id)
        if bySubscriber[record.route.subscriber]?.isEmpty == true { bySubscriber.removeValue(forKey: record.route.subscriber) }
        return record
    }

    func ids(of subscriber: ActorPath) -> Set<UInt64> {
        bySubscriber[subscriber] ?? []
    }

    func isWatched(_ subscriber: ActorPath) -> Bool {
        bySubscriber[subscriber] != nil
    }

    func routes(for topic: Topic) -> [BusRoute<Event>] {
        (byTopic[topic] ?? []).compactMap { records[$0]?.route }
    }

    /// Every subscription, oldest first.
    var inOrder: [Record] {
        records.values.sorted { $0.subscription.id < $1.subscription.id }
    }
}
