/// What an event bus's actor is asked.
enum EventBusMessage<Topic: Hashable & Sendable, Event: Sendable>: Sendable {
    case subscribe(SubscribeRequest<Topic, Event>, ReplyTo<BusSubscription<Topic>>)
    /// Subscribes a sink: `offer` is its ``EventSink/offer(_:)``.
    case subscribeSink(topic: Topic, offer: @Sendable (Event) -> Bool, ReplyTo<BusSubscription<Topic>>)
    case unsubscribe(id: UInt64, ReplyTo<Bool>)
    /// Ends the subscriptions among `ids` that are live; replies how many there were.
    case unsubscribeAll(ids: [UInt64], ReplyTo<Int>)
    /// ``EventBus/tryUnsubscribe(_:)``: on the system lane, no reply.
    case release(ids: [UInt64])
    /// An event for the sinks of its topic, handed over by a publisher with `trySend`.
    case sinkEvent(Topic, Event)
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
/// per actor subscription (its queue), watches every subscribing actor, and publishes the
/// routes that publishers read. Events for actors never pass through this actor; events for
/// sinks do: it offers each to every sink of its topic, in subscription order.
struct EventBusBehavior<Topic: Hashable & Sendable, Event: Sendable>: Behavior {
    typealias Message = EventBusMessage<Topic, Event>

    let routes: BusRoutes<Topic, Event>
    var registry = EventBusRegistry<Topic, Event>()
    var sinks = BusSinks<Topic, Event>()
    var sinkDeliveries = 0
    var sinkRefusals = 0
    var unwatchers: [ActorPath: @Sendable (ActorContext<Message>) -> Void] = [:]
    var disconnected = 0
    var subscriberStopped = 0
    var unsubscribed = 0

    mutating func started(context: ActorContext<Message>) async throws {
        // A new incarnation starts with no subscriptions: the previous one's forwarders
        // were stopped with it, and its sinks were in its state.
        routes.removeAll()
    }

    mutating func receive(_ message: Message, context: ActorContext<Message>) async throws {
        switch message {
        case .subscribe(let request, let reply):
            reply.reply(try subscribe(request, context))
        case .subscribeSink(let topic, let offer, let reply):
            let id = routes.nextSubscriptionID()
            routes.setSinks(sinks.add(BusSinks.Sink(id: id, offer: offer), topic: topic), for: topic)
            // A sink is no actor: the subscription names the bus actor.
            reply.reply(BusSubscription(id: id, topic: topic, subscriber: context.path))
        case .unsubscribe(let id, let reply):
            let removed = unsubscribe([id], context)
            reply.reply(removed == 1)
        case .unsubscribeAll(let ids, let reply):
            reply.reply(unsubscribe(ids, context))
        case .release(let ids):
            _ = unsubscribe(ids, context)
        case .sinkEvent(let topic, let event):
            for sink in sinks.sinks(for: topic) {
                if sink.offer(event) { sinkDeliveries += 1 } else { sinkRefusals += 1 }
            }
        case .disconnect(let id):
            if end(id, context) { disconnected += 1 }
        case .metrics(let reply):
            reply.reply(metrics(context))
        }
    }

    /// Ends the live subscriptions among `ids`, sinks and actors alike; returns how many.
    private mutating func unsubscribe(_ ids: [UInt64], _ context: ActorContext<Message>) -> Int {
        let (sinksRemoved, left) = sinks.remove(ids)
        for (topic, count) in left {
            routes.setSinks(count, for: topic)
        }
        var removed = sinksRemoved
        for id in ids where end(id, context) {
            removed += 1
        }
        unsubscribed += removed
        return removed
    }

    mutating func receiveSignal(_ signal: Signal, context: ActorContext<Message>) async throws {
        guard case .terminated(let path, _) = signal else { return }
        for id in registry.ids(of: path) where end(id, context) {
            subscriberStopped += 1
        }
    }

    private mutating func subscribe(_ request: SubscribeRequest<Topic, Event>, _ context: ActorContext<Message>) throws -> BusSubscription<Topic> {
        let id = routes.nextSubscriptionID()
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

    private func metrics(_ context: ActorContext<Message>) -> EventBusMetrics {
        let bus = context.ref.metrics
        var metrics = EventBusMetrics()
        metrics.sinkSubscriptions = sinks.count
        metrics.sinkDeliveries = sinkDeliveries
        metrics.sinkRefusals = sinkRefusals
        metrics.sinkEventsDropped = routes.droppedSinkEvents
        metrics.busMailboxDepth = bus.mailboxDepth
        metrics.busMailboxHighWaterMark = bus.highWaterMark
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
