/// What an event bus's actor is asked.
enum EventBusMessage<Topic: Hashable & Sendable, Event: Sendable>: Sendable {
    case subscribe(SubscribeRequest<Topic, Event>, ReplyTo<BusSubscription<Topic>>)
    case unsubscribe(id: UInt64, ReplyTo<Bool>)
    /// A publisher found the subscription's queue full under the `disconnect` policy
    /// (delivered on the system lane: at most one per subscription).
    case disconnect(id: UInt64)
    case metrics(ReplyTo<EventBusMetrics>)
}

/// A subscription to make, with what the bus actor needs to know about the subscriber
/// without knowing its message type.
struct SubscribeRequest<Topic: Hashable & Sendable, Event: Sendable>: Sendable {
    typealias Context = ActorContext<EventBusMessage<Topic, Event>>

    let topic: Topic
    let queue: SubscriberQueue
    let subscriber: ActorPath
    /// Sends an event to the subscriber (transformed to its message type), waiting for room
    /// unless the subscription ends first.
    let deliver: @Sendable (Event, Completion<Void>) async -> SendOutcome
    /// Start and stop death watch of the subscriber.
    let watch: @Sendable (Context) -> Void
    let unwatch: @Sendable (Context) -> Void
}

/// The actor behind an ``EventBus``: owns the subscriptions, spawns one forwarder actor
/// per subscription (its queue), watches every subscriber, and publishes the routes that
/// publishers read. Events themselves never pass through this actor.
struct EventBusBehavior<Topic: Hashable & Sendable, Event: Sendable>: Behavior {
    typealias Message = EventBusMessage<Topic, Event>

    let routes: BusRoutes<Topic, Event>
    var registry = EventBusRegistry<Topic, Event>()
    var unwatchers: [ActorPath: @Sendable (ActorContext<Message>) -> Void] = [:]
    var disconnected = 0
    var subscriberStopped = 0
    var unsubscribed = 0

    mutating func started(context: ActorContext<Message>) async throws {
        // A new incarnation starts with no subscriptions: the previous one's forwarders
        // were stopped with it.
        routes.removeAll()
    }

    mutating func receive(_ message: Message, context: ActorContext<Message>) async throws {
        switch message {
        case .subscribe(let request, let reply):
            reply.reply(try subscribe(request, context))
        case .unsubscribe(let id, let reply):
            let removed = end(id, context)
            if removed { unsubscribed += 1 }
            reply.reply(removed)
        case .disconnect(let id):
            if end(id, context) { disconnected += 1 }
        case .metrics(let reply):
            reply.reply(metrics)
        }
    }

    mutating func receiveSignal(_ signal: Signal, context: ActorContext<Message>) async throws {
        guard case .terminated(let path, _) = signal else { return }
        for id in registry.ids(of: path) where end(id, context) {
            subscriberStopped += 1
        }
    }

    private mutating func subscribe(_ request: SubscribeRequest<Topic, Event>, _ context: ActorContext<Message>) throws -> BusSubscription<Topic> {
        let id = registry.nextID()
        let deliver = request.deliver
        let ended = Completion<Void>()
        // Ids are unique, so the name is too: spawning cannot fail for a duplicate.
        let forwarder = try context.spawn("subscriber-\(id)", mailbox: request.queue.mailbox, restart: .transient) {
            BusForwarder(deliver: deliver, ended: ended)
        }
        let route = BusRoute(id: id, subscriber: request.subscriber, queue: request.queue, forwarder: forwarder, ended: ended)
        let watchedAlready = registry.isWatched(request.subscriber)
        let subscription = registry.add(route, topic: request.topic)
        if !watchedAlready {
            unwatchers[request.subscriber] = request.unwatch
            // Last: a subscriber that has already stopped is reported at once, and its
            // signal must find the subscription.
            request.watch(context)
        }
        routes.set(registry.routes(for: request.topic), for: request.topic)
        return subscription
    }

    /// Ends subscription `id`: no publisher delivers to it from now on, its forwarder stops
    /// at once (a wait for room in the subscriber's mailbox is abandoned, queued events are
    /// discarded), and its subscriber is no longer watched if this was its last
    /// subscription.
    private mutating func end(_ id: UInt64, _ context: ActorContext<Message>) -> Bool {
        guard let record = registry.remove(id) else { return false }
        _ = record.route.end()
        record.route.stopForwarder()
        let topic = record.subscription.topic
        routes.set(registry.routes(for: topic), for: topic)
        let subscriber = record.route.subscriber
        if !registry.isWatched(subscriber), let unwatch = unwatchers.removeValue(forKey: subscriber) {
            unwatch(context)
        }
        return true
    }

    private var metrics: EventBusMetrics {
        var metrics = EventBusMetrics()
        metrics.disconnected = disconnected
        metrics.subscriberStopped = subscriberStopped
        metrics.unsubscribed = unsubscribed
        metrics.subscribers = registry.inOrder.map { record in
            let route = record.route
            let queue = route.forwarder.metrics
            return EventBusMetrics.Subscriber(
                id: route.id, subscriber: route.subscriber, queue: route.queue,
                depth: queue.mailboxDepth, highWaterMark: queue.highWaterMark,
                dropped: queue.dropped, waitingPublishers: queue.suspendedSenders, forwarded: queue.processed
            )
        }
        return metrics
    }
}
