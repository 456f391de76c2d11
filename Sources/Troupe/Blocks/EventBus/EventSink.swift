/// A subscriber of an event bus that is not an actor: a bounded, non-blocking buffer owned
/// by someone else (a connection's outbound buffer, say), into which the bus actor offers
/// each event of the topics it is subscribed to.
///
/// ```swift
/// final class OutboundBuffer: EventSink {
///     func offer(_ event: RoomEvent) -> Bool { ... }   // false when full
/// }
/// let subscription = try await bus.subscribe(sink: buffer, to: "room:lobby")
/// ```
///
/// # Concurrency contract
/// ``offer(_:)`` is called by the bus actor, on its executor thread, for one event at a
/// time per bus, in each publisher's publication order; it may run concurrently with
/// anything the sink's owner does (draining the buffer, say), so the sink guards its own
/// state. It must return at once: never block, never wait for room. Every sink of a topic
/// is offered each event in turn by the same actor, so a slow `offer` delays every sink
/// and fills the bus's mailbox (which then drops events for sinks).
public protocol EventSink<Event>: AnyObject, Sendable {
    /// The events the sink takes.
    associatedtype Event: Sendable

    /// Takes `event` if there is room; returns false if the sink is full, and the event is
    /// then dropped (the sink counts its own drops; the bus counts refusals).
    func offer(_ event: Event) -> Bool
}
