/// Publish/subscribe by topic between actors, with a bounded queue and an overflow policy
/// per subscriber; and to sinks, bounded non-blocking buffers that are not actors (a
/// connection's outbound buffer, say).
///
/// ```swift
/// let bus = EventBus<String, ChatEvent>()
/// try await system.start(bus, name: "bus")
/// try await bus.subscribe(roomActor, to: "room:lobby", queue: .init(capacity: 256, overflow: .dropOldest))
/// try await bus.subscribe(auditLog, to: "room:lobby", queue: .init(capacity: 1_024, overflow: .blockPublisher(timeout: .seconds(1))))
/// try await bus.subscribe(sink: connection.outbound, to: "room:lobby")
/// await bus.publish(.posted(message), to: "room:lobby")
/// ```
///
/// It prevents the unbounded event queue of the problem reports: one slow consumer made
/// the shared queue (and the process) grow without limit and delayed every other consumer.
/// Here each subscriber has its own queue, so a slow subscriber only ever costs its own
/// queue's memory, and delays nobody unless its policy is to block the publisher.
///
/// # Delivery to actors
/// Each actor subscription's queue is a small forwarder actor (a child of the bus actor)
/// whose bounded mailbox applies the subscription's ``SubscriberQueue/Overflow`` policy,
/// and which hands events on to the subscriber's own mailbox in order, waiting for room
/// there. Publishers put events straight into those queues: events for actors never pass
/// through the bus actor, which only manages subscriptions. The events one publisher
/// publishes to a topic reach each subscriber in publication order (minus the ones its
/// policy drops); the interleaving of two publishers may differ between subscribers.
///
/// # Delivery to sinks
/// An ``EventSink`` is offered events by the bus actor itself: a publisher hands an event
/// whose topic has sinks to the bus actor's mailbox with `trySend` (never waiting; a full
/// mailbox drops the event for every sink of the topic, counted in the ``PublishReport``
/// and in ``EventBusMetrics/sinkEventsDropped``), and the bus actor offers it to each sink
/// of the topic in turn, without waiting and without an actor per sink. A full sink refuses
/// the event (counted in ``EventBusMetrics/sinkRefusals``, and by the sink) and delays no
/// other sink. The events one publisher publishes reach each sink in publication order
/// (minus the ones dropped). Sinks have no death watch: a sink subscription ends on
/// `unsubscribe` or when the bus actor restarts.
///
/// # Bounds
/// Per actor subscriber: its queue's capacity, plus one event being handed on, plus its own
/// mailbox. Queue depth, high-water mark and drops per subscriber are in ``metrics()``.
/// A `blockPublisher` queue makes a publisher wait at most its `timeout` per event.
/// Actor subscriptions end when the subscriber stops (death watch), on `unsubscribe`,
/// or (policy `disconnect`) when its queue overflows. Then the subscription's forwarder ends
/// at once, even if it was waiting for room in a subscriber's full mailbox (that event is
/// not delivered; the queued ones are discarded), so no actor or task outlives its
/// subscription. A restart of the bus actor ends every subscription. The bus actor's own
/// mailbox (``mailbox``, 1,024 messages by default) holds subscription requests and the
/// events waiting to be offered to sinks: it bounds what sinks can have pending in the bus.
///
/// # Concurrency contract
/// `Sendable`; every method may be called from any task. ``publish(_:to:)`` may suspend
/// (only for `blockPublisher` actor subscribers, up to their timeout); ``tryPublish(_:to:)``
/// never does (for `blockPublisher` subscribers a full queue then drops the event).
/// Neither ever waits for a sink or for room in the bus actor's mailbox.
public final class EventBus<Topic: Hashable & Sendable, Event: Sendable>: BuildingBlock {
    /// The bus actor's mailbox: subscription requests, and events waiting to be offered to
    /// sinks (a full mailbox drops them). Give it the `suspend` (default) or `fail` policy:
    /// with `dropOldest`, an event for sinks could push out a subscription request.
    public let mailbox: MailboxConfiguration
    /// Deadline of each question to the bus actor; nil: the system's ask timeout.
    public let askTimeout: Duration?
    private let binding = BlockBinding<EventBusMessage<Topic, Event>>()
    private let routes = BusRoutes<Topic, Event>()

    /// A bus to place in a tree with ``childSpec(_:restart:)``.
    public init(mailbox: MailboxConfiguration = .buildingBlockDefault, askTimeout: Duration? = nil) {
        self.mailbox = mailbox
        self.askTimeout = askTimeout
    }

    /// The spec that places the bus actor under `name`; this bus's calls go to the actor it
    /// creates. Throws ``ConfigurationError/invalidName(_:)`` for a bad name.
    public func childSpec(_ name: String, restart: RestartType) throws(ConfigurationError) -> ChildSpec {
        let routes = self.routes
        return try binding.childSpec(name, mailbox: mailbox, restart: restart) {
            EventBusBehavior<Topic, Event>(routes: routes)
        }
    }

    // MARK: Subscribing

    /// Subscribes `subscriber` to `topic`: from now on it receives `transform(event)` for
    /// every event published to the topic, through a queue shaped by `queue`.
    ///
    /// The subscriber's own mailbox should use the `suspend` policy, so that the bus's
    /// queue, not the mailbox, decides what a full subscriber loses.
    @discardableResult
    public nonisolated(nonsending) func subscribe<Message: Sendable>(
        _ subscriber: ActorRef<Message>,
        to topic: Topic,
        queue: SubscriberQueue,
        as transform: @escaping @Sendable (Event) -> Message
    ) async throws(EventBusError) -> BusSubscription<Topic> {
        let request = SubscribeRequest<Topic, Event>(
            topic: topic, queue: queue, subscriber: subscriber.path,
            deliver: { event, ended in await BusForwarder<Event>.send(transform(event), to: subscriber, unless: ended) },
            watch: { context in context.watch(subscriber) },
            unwatch: { context in context.unwatch(subscriber) }
        )
        return try await ask { .subscribe(request, $0) }
    }

    /// Subscribes `subscriber`, which takes the bus's events as its messages, to `topic`.
    @discardableResult
    public nonisolated(nonsending) func subscribe(
        _ subscriber: ActorRef<Event>,
        to topic: Topic,
        queue: SubscriberQueue
    ) async throws(EventBusError) -> BusSubscription<Topic> {
        try await subscribe(subscriber, to: topic, queue: queue, as: { $0 })
    }

    /// Subscribes `sink` to `topic`: from the return on, the bus actor offers it every
    /// event published to the topic (see ``EventSink`` for the contract of `offer`).
    ///
    /// The subscription has no death watch (a sink is no actor): it lasts until
    /// `unsubscribe` or a restart of the bus actor. Its
    /// ``BusSubscription/subscriber`` is the bus actor's own path.
    @discardableResult
    public nonisolated(nonsending) func subscribe(
        sink: some EventSink<Event>,
        to topic: Topic
    ) async throws(EventBusError) -> BusSubscription<Topic> {
        try await ask { .subscribeSink(topic: topic, offer: { [sink] event in sink.offer(event) }, $0) }
    }

    /// Ends a subscription, of an actor or a sink; events still queued for an actor are
    /// discarded, and once this returns a sink is offered nothing more. Returns false if it
    /// had already ended.
    @discardableResult
    public nonisolated(nonsending) func unsubscribe(_ subscription: BusSubscription<Topic>) async throws(EventBusError) -> Bool {
        try await ask { .unsubscribe(id: subscription.id, $0) }
    }

    /// Ends several subscriptions with one message to the bus actor (a connection that
    /// closes, say); returns how many were still live.
    @discardableResult
    public nonisolated(nonsending) func unsubscribe(_ subscriptions: [BusSubscription<Topic>]) async throws(EventBusError) -> Int {
        guard !subscriptions.isEmpty else { return 0 }
        return try await ask { .unsubscribeAll(ids: subscriptions.map(\.id), $0) }
    }

    /// Ends subscriptions without waiting: the request goes on the bus actor's system lane,
    /// which is never full and is handled before any event, so no event published after
    /// this call — nor any still queued for sinks — reaches them. For an owner that must not
    /// suspend (an actor's `stopping`, a handler that keeps its own frames shallow).
    /// Does nothing before the bus is placed (it then has no subscriptions).
    public func tryUnsubscribe(_ subscriptions: [BusSubscription<Topic>]) {
        guard !subscriptions.isEmpty else { return }
        binding.deliverReliably(.release(ids: subscriptions.map(\.id)))
    }

    // MARK: Publishing

    /// Publishes `event` to every subscriber of `topic`, each as its queue's policy says;
    /// waits (up to their timeouts) for `blockPublisher` subscribers with a full queue.
    /// Sinks are served first, and never waited for.
    @discardableResult
    public nonisolated(nonsending) func publish(_ event: Event, to topic: Topic) async -> PublishReport {
        let entry = routes.entry(for: topic)
        var report = PublishReport()
        handToSinks(event, of: topic, sinks: entry.sinks, into: &report)
        for route in entry.routes where !route.isEnded {
            let outcome: SendOutcome = switch route.queue.overflow {
            case .blockPublisher: await route.forwarder.send(.event(event))
            case .dropOldest, .dropNewest, .disconnect: route.forwarder.trySend(.event(event))
            }
            tally(outcome, of: route, into: &report)
        }
        return report
    }

    /// Publishes `event` without ever waiting: like ``publish(_:to:)``, except that a
    /// `blockPublisher` subscriber with a full queue loses the event.
    @discardableResult
    public func tryPublish(_ event: Event, to topic: Topic) -> PublishReport {
        let entry = routes.entry(for: topic)
        var report = PublishReport()
        handToSinks(event, of: topic, sinks: entry.sinks, into: &report)
        for route in entry.routes where !route.isEnded {
            tally(route.forwarder.trySend(.event(event)), of: route, into: &report)
        }
        return report
    }

    /// Hands `event` to the bus actor for the `sinks` sinks of `topic` (as last published
    /// by the actor), without waiting: a full mailbox drops it for all of them.
    private func handToSinks(_ event: Event, of topic: Topic, sinks: Int, into report: inout PublishReport) {
        guard sinks > 0, let bus = binding.ref else { return }
        switch bus.trySend(.sinkEvent(topic, event)) {
        case .enqueued:
            report.queued += sinks
        case .full, .dropped, .timedOut:
            report.dropped += sinks
            routes.countSinkEventDropped()
        case .stopped, .cancelled:
            // The bus has stopped: its sink subscriptions have ended with it.
            break
        }
    }

    private func tally(_ outcome: SendOutcome, of route: BusRoute<Event>, into report: inout PublishReport) {
        switch outcome {
        case .enqueued:
            report.queued += 1
        case .full where route.queue.overflow == .disconnect:
            // The first publisher to see it ends the route and tells the bus actor, on its
            // system lane (never refused): one notice per subscription at most.
            if route.end() {
                report.disconnected += 1
                binding.deliverReliably(.disconnect(id: route.id))
            }
        case .full, .dropped, .timedOut:
            report.dropped += 1
        case .stopped, .cancelled:
            // The subscription is ending (its forwarder stopped) or the publisher gave up.
            break
        }
    }

    // MARK: Introspection

    /// Every subscription's queue depth and drops, why subscriptions ended, the sinks'
    /// counters and the bus actor's mailbox.
    public nonisolated(nonsending) func metrics() async throws(EventBusError) -> EventBusMetrics {
        try await ask { .metrics($0) }
    }

    private nonisolated(nonsending) func ask<Reply: Sendable>(
        _ makeRequest: (ReplyTo<Reply>) -> EventBusMessage<Topic, Event>
    ) async throws(EventBusError) -> Reply {
        try await binding.ask(timeout: askTimeout, makeRequest, notStarted: EventBusError.notStarted, unavailable: EventBusError.unavailable)
    }
}
