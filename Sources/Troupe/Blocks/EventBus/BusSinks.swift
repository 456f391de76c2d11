/// The sink subscriptions of an event bus, by topic and id, as a plain value owned by the
/// bus actor (which offers each event to the sinks of its topic).
///
/// # Invariants
/// - A sink subscription is in `topics` and in its topic's list, or in neither.
/// - Each topic's list is in subscription order (the bus offers in that order), and a topic
///   without sinks has no list.
struct BusSinks<Topic: Hashable & Sendable, Event: Sendable> {
    /// One sink subscription: its id and how to offer an event to its sink.
    struct Sink {
        let id: UInt64
        let offer: @Sendable (Event) -> Bool
    }

    private var byTopic: [Topic: [Sink]] = [:]
    private var topics: [UInt64: Topic] = [:]

    /// Live sink subscriptions.
    var count: Int { topics.count }

    /// Adds a sink subscription; returns the number of sinks its topic has now.
    mutating func add(_ sink: Sink, topic: Topic) -> Int {
        topics[sink.id] = topic
        byTopic[topic, default: []].append(sink)
        return byTopic[topic]?.count ?? 0
    }

    /// Removes the sink subscriptions among `ids` (others are ignored); returns how many
    /// there were, and each topic touched with the number of sinks it has left. Each
    /// topic's list is rewritten once, however many of its sinks go.
    mutating func remove(_ ids: some Sequence<UInt64>) -> (count: Int, left: [Topic: Int]) {
        var removed: [Topic: Set<UInt64>] = [:]
        var count = 0
        for id in ids {
            guard let topic = topics.removeValue(forKey: id) else { continue }
            removed[topic, default: []].insert(id)
            count += 1
        }
        var left: [Topic: Int] = [:]
        for (topic, gone) in removed {
            byTopic[topic]?.removeAll { gone.contains($0.id) }
            let remaining = byTopic[topic]?.count ?? 0
            if remaining == 0 { byTopic.removeValue(forKey: topic) }
            left[topic] = remaining
        }
        return (count, left)
    }

    /// The sinks of `topic`, in subscription order.
    func sinks(for topic: Topic) -> [Sink] {
        byTopic[topic] ?? []
    }
}
