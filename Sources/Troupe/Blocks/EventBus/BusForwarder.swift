/// What a subscription's forwarder takes: events to hand on, and the order to stop.
enum ForwarderMessage<Event: Sendable>: Sendable {
    case event(Event)
    /// The subscription ended (sent on the system lane, so it overtakes queued events).
    case end
}

/// The actor that is one subscriber's queue on an event bus: its mailbox (capacity and
/// overflow policy from the ``SubscriberQueue``) holds the events waiting for the
/// subscriber, and its handler hands them on, one at a time and in order, waiting for room
/// in the subscriber's own mailbox.
///
/// A child of the bus actor, stopped when the bus stops. When its subscription ends it
/// stops itself (``ForwarderMessage/end``) rather than being stopped by the bus: a stop
/// requested by a parent that is itself stopped right after (a shutdown stops subscribers
/// before the bus, and each ends a subscription) is not waited for by the runtime and
/// leaves the child's task running; a child that stops itself is.
///
/// # Ending promptly
/// The end of the subscription (`ended`, completed before `.end` is sent) also interrupts a
/// wait for room in the subscriber's mailbox: a subscriber that is cut off (policy
/// `disconnect`) or unsubscribed because it does not drain would otherwise hold its
/// forwarder (and its task) until it drains, possibly for ever. The event being handed on
/// then is not delivered, and the events still queued are discarded unread.
struct BusForwarder<Event: Sendable>: Behavior {
    /// Hands one event (transformed to the subscriber's message type) to the subscriber,
    /// waiting for room unless `ended` fires first.
    let deliver: @Sendable (Event, Completion<Void>) async -> SendOutcome
    /// Completed when the subscription ends.
    let ended: Completion<Void>

    func receive(_ message: ForwarderMessage<Event>, context: ActorContext<ForwarderMessage<Event>>) async throws {
        switch message {
        case .event(let event):
            // Events of a batch already taken out of the mailbox when the subscription
            // ended are discarded, like the ones still in it. A stopped subscriber's
            // `.stopped` needs nothing here: death watch ends the subscription.
            guard !ended.isComplete else { return }
            _ = await deliver(event, ended)
        case .end:
            context.stop()
        }
    }

    /// Sends `message` to `subscriber`: at once if its mailbox has room; else waits for room
    /// in a child task, racing `ended`, and cancels whichever loses. Returns
    /// ``SendOutcome/cancelled`` if the subscription ended first.
    static func send<Message: Sendable>(
        _ message: Message, to subscriber: ActorRef<Message>, unless ended: Completion<Void>
    ) async -> SendOutcome {
        let offered = subscriber.trySend(message)
        guard offered == .full else { return offered }
        return await withTaskGroup(of: SendOutcome?.self) { group in
            group.addTask { await subscriber.send(message) }
            group.addTask {
                _ = await ended.waitUnlessCancelled()
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            // The other child's result is discarded: a send cancelled by the end reports
            // `.cancelled` (or `.enqueued` if room came at the same instant).
            return first ?? .cancelled
        }
    }
}
