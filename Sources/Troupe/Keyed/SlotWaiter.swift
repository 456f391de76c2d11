/// A sender waiting for one of a keyed supervisor's slots (all `maxLive` are taken).
///
/// It is its own timeout timer. The registry's lock guards `continuation`; exactly one of
/// a slot hand-over, the timeout, cancellation or the supervisor stopping resumes it.
// Unchecked Sendable: `continuation` and `cancelledEarly` are only touched under the
// registry's lock.
final class SlotWaiter: ClockTimer, @unchecked Sendable {
    enum Outcome: Sendable {
        /// A slot was reserved for this sender: create the key's actor with it.
        case granted
        case timedOut
        case cancelled
        case stopped
    }

    var continuation: UnsafeContinuation<Outcome, Never>?
    var cancelledEarly = false
    private let onExpiry: @Sendable (SlotWaiter) -> Void

    init(deadline: ClockInstant, onExpiry: @escaping @Sendable (SlotWaiter) -> Void) {
        self.onExpiry = onExpiry
        super.init(deadline: deadline)
    }

    override package func expired() {
        onExpiry(self)
    }
}
