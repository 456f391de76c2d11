import Synchronization

/// How publishers reach one subscription: the forwarder actor whose mailbox is the
/// subscriber's queue, and a flag that stops deliveries at once when the subscription ends
/// (publishers may hold a snapshot of the routes taken just before).
final class BusRoute<Event: Sendable>: Sendable {
    let id: UInt64
    let subscriber: ActorPath
    let queue: SubscriberQueue
    let forwarder: ActorRef<ForwarderMessage<Event>>
    let ended = Atomic<Bool>(false)

    init(id: UInt64, subscriber: ActorPath, queue: SubscriberQueue, forwarder: ActorRef<ForwarderMessage<Event>>) {
        self.id = id
        self.subscriber = subscriber
        self.queue = queue
        self.forwarder = forwarder
    }

    /// Marks the route ended; true for the one caller that did it.
    func end() -> Bool {
        ended.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
    }

    var isEnded: Bool { ended.load(ordering: .relaxed) }

    /// Tells the forwarder to stop itself, on its system lane: never refused by its full
    /// queue, and ahead of the events queued there (which are discarded).
    func stopForwarder() {
        forwarder.cell.enqueueSystem(.deliver(ForwarderMessage<Event>.end))
    }
}
