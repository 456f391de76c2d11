/// A sender waiting for room in a full ``OverflowPolicy/suspend(timeout:)`` mailbox.
///
/// It is also the wait's deadline node and cancellation hook. The owning cell's lock
/// guards `message` and `continuation`; exactly one of admission, timeout, cancellation or
/// the actor stopping takes them and resumes the sender.
@usableFromInline
// Unchecked Sendable: mutable fields are only touched under the owning cell's lock.
final class SuspendedSend<Message: Sendable>: WaitNode, @unchecked Sendable {
    @usableFromInline var message: Message?
    @usableFromInline var continuation: UnsafeContinuation<SendOutcome, Never>?
    /// Set when the wait ended (deadline or cancellation) before the sender could park:
    /// parking then returns it at once instead of waiting with nothing left to end it.
    @usableFromInline var endedEarly: SendOutcome?
    /// Strong on purpose: the cycle (cell → waiters → this → cell) lasts only while the
    /// sender waits; admission, timeout, cancellation and closing all break it.
    @usableFromInline let cell: ActorCell<Message>

    @usableFromInline
    init(message: Message, cell: ActorCell<Message>) {
        self.message = message
        self.cell = cell
        super.init()
    }

    @usableFromInline
    override func deadlinePassed() {
        cell.abandonSend(self, outcome: .timedOut)
    }

    @usableFromInline
    override func cancelWait() {
        cell.abandonSend(self, outcome: .cancelled)
    }
}
