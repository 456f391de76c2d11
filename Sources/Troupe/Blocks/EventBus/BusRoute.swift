/// How publishers reach one subscription: the forwarder actor whose mailbox is the
/// subscriber's queue, and a flag that stops deliveries at once when the subscription ends
/// (publishers may hold a snapshot of the routes taken just before).
final class BusRoute<Event: Sendable>: Sendable {
    let id: UInt64
    let subscriber: ActorPath
    let queue: SubscriberQueue
    let forwarder: ActorRef<ForwarderMessage<Event>>
    /// Completed when the subscription ends; shared with the forwarder, whose wait for room
    /// in the subscriber's mailbox it ends.
    let ended: Completion<Void>

    init(id: UInt64, subscriber: ActorPath, queue: SubscriberQueue, forwarder: ActorRef<ForwarderMessage<Event>>, ended: Completion<Void>) {
        self.id = id
        self.subscriber = subscriber
        self.queue = queue
        self.forwarder = forwarder
        self.ended = ended
    }

    /// Marks the route ended, which also ends the forwarder's wait for room in the
    /// subscriber's mailbox; true for the one caller that did it.
    func end() -> Bool {
        ended.succeed(())
    }

    var isEnded: Bool { ended.isComplete }

    /// Tells the forwarder to stop itself, on its system lane: never refused by its full
    /// queue, and ahead of the events queued there (which are discarded).
    func stopForwarder() {
        forwarder.cell.enqueueSystem(.deliver(ForwarderMessage<Event>.end))
    }
}
