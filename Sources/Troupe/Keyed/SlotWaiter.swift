/// A sender waiting for one of a keyed supervisor's slots (all `maxLive` are taken).
///
/// It is its own timeout timer, scheduled before the waiter is registered (so no cancel of
/// the timer can come before its schedule). The registry's lock guards `continuation` and
/// `endedEarly`; exactly one of a slot hand-over, the timeout, cancellation or the
/// supervisor stopping resumes it.
// Unchecked Sendable: `continuation` and `endedEarly` are only touched under the
// registry's lock; `clock` is immutable.
final class SlotWaiter: ClockTimer, @unchecked Sendable {
    enum Outcome: Sendable {
        /// A slot was reserved for this sender: create the key's actor with it.
        case granted
        case timedOut
        case cancelled
        case stopped
    }

    var continuation: UnsafeContinuation<Outcome, Never>?
    /// The timeout or a cancellation that came before the waiter was registered; the
    /// registration then ends the wait at once with it. The first one wins.
    var endedEarly: Outcome?
    /// The clock its timer is scheduled on; nil when the wait has no timeout.
    let clock: (any ActorClock)?
    private let onExpiry: @Sendable (SlotWaiter) -> Void

    init(deadline: ClockInstant, clock: (any ActorClock)?, onExpiry: @escaping @Sendable (SlotWaiter) -> Void) {
        self.clock = clock
        self.onExpiry = onExpiry
        super.init(deadline: deadline)
    }

    /// Removes the timeout timer, if any (a no-op once it fired).
    func cancelTimer() {
        clock?.cancel(self)
    }

    override package func expired() {
        onExpiry(self)
    }
}
