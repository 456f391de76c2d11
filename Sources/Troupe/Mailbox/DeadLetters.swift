import Synchronization

/// Why a message was not delivered.
public enum DeadLetterReason: String, Sendable, Hashable, CaseIterable {
    /// Rejected by a full mailbox (``OverflowPolicy/fail``, or `trySend` on a full
    /// ``OverflowPolicy/suspend(timeout:)`` mailbox).
    case mailboxFull
    /// Discarded on arrival by ``OverflowPolicy/dropNewest``.
    case droppedNewest
    /// Evicted from the front of the queue by ``OverflowPolicy/dropOldest``.
    case droppedOldest
    /// The actor had stopped, or stopped with the message still queued.
    case actorStopped
    /// The sender gave up after the suspend timeout.
    case sendTimedOut
    /// The sending task was cancelled while it waited for space.
    case sendCancelled
    /// The request of an ask that would have closed a cycle of actors waiting on each
    /// other's replies; the ask failed with ``AskError/deadlock(cycle:)`` instead.
    case askCycle
}

/// A message that was not delivered, as seen by a dead-letter observer.
public struct DeadLetter: Sendable {
    /// The actor it was addressed to.
    public let recipient: ActorPath
    /// Why it was not delivered.
    public let reason: DeadLetterReason
    /// The undelivered message itself.
    public let message: any Sendable
}

/// Where undelivered messages go: counted by reason, and shown to observers if there are any.
///
/// Counting is a relaxed atomic add; the message is boxed for observers only when at least
/// one is registered, so an overloaded actor shedding load pays almost nothing here.
///
/// # Thread safety
/// All members may be used from any thread. Observers are called synchronously on the
/// thread that dropped the message, outside every runtime lock; they must be quick.
public final class DeadLetterOffice: Sendable {
    private let counters: [Counter] = DeadLetterReason.allCases.map { _ in Counter() }
    private let observers = Observers<DeadLetter>()

    init() {}

    /// Dead letters counted so far for `reason`.
    public func count(_ reason: DeadLetterReason) -> Int {
        counters[index(of: reason)].value.load(ordering: .relaxed)
    }

    /// Dead letters counted so far, all reasons.
    public var total: Int {
        counters.reduce(0) { $0 + $1.value.load(ordering: .relaxed) }
    }

    /// Calls `observer` for every dead letter from now on, until the returned token is
    /// passed to ``removeObserver(_:)``.
    @discardableResult
    public func addObserver(_ observer: @escaping @Sendable (DeadLetter) -> Void) -> UInt64 {
        observers.add(observer)
    }

    /// Stops calling the observer that ``addObserver(_:)`` returned `token` for; an unknown
    /// token is ignored.
    public func removeObserver(_ token: UInt64) {
        observers.remove(token)
    }

    @usableFromInline
    func record<Message: Sendable>(_ message: Message, to recipient: ActorPath, reason: DeadLetterReason) {
        counters[index(of: reason)].value.add(1, ordering: .relaxed)
        observers.emit(DeadLetter(recipient: recipient, reason: reason, message: message))
    }

    private func index(of reason: DeadLetterReason) -> Int {
        switch reason {
        case .mailboxFull: 0
        case .droppedNewest: 1
        case .droppedOldest: 2
        case .actorStopped: 3
        case .sendTimedOut: 4
        case .sendCancelled: 5
        case .askCycle: 6
        }
    }

    private final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }
}
