/// A sender waiting for room in a full ``OverflowPolicy/suspend(timeout:)`` mailbox.
///
/// It is also the timer for the policy's timeout, so waiting with a deadline costs one
/// allocation. The owning cell's lock guards `message` and `continuation`; exactly one of
/// admission, timeout, cancellation or the actor stopping takes them and resumes the sender.
final class SuspendedSend<Message: Sendable>: ClockTimer, @unchecked Sendable {
    // @unchecked Sendable: mutable fields are only touched under the owning cell's lock.
    var message: Message?
    var continuation: UnsafeContinuation<SendOutcome, Never>?
    /// Set when the sender's task was cancelled before it could park.
    var cancelledEarly = false
    private weak var cell: ActorCell<Message>?

    init(message: Message, cell: ActorCell<Message>, deadline: ClockInstant) {
        self.message = message
        self.cell = cell
        super.init(deadline: deadline)
    }

    /// Still queued: neither admitted nor abandoned.
    var isWaiting: Bool { continuation != nil }

    override package func expired() {
        cell?.abandonSend(self, outcome: .timedOut)
    }
}
