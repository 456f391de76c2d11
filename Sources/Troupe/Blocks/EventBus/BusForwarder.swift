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
struct BusForwarder<Event: Sendable>: Behavior {
    /// Sends one event (transformed to the subscriber's message type) to the subscriber.
    let deliver: @Sendable (Event) async -> SendOutcome

    func receive(_ message: ForwarderMessage<Event>, context: ActorContext<ForwarderMessage<Event>>) async throws {
        switch message {
        case .event(let event):
            // A stopped subscriber's `.stopped` needs nothing here: death watch ends the
            // subscription.
            _ = await deliver(event)
        case .end:
            context.stop()
        }
    }
}
