import Troupe

/// Where a façade (``DatabasePool``, ``GroupCommitWriter``) finds its actor: set by the
/// actor's incarnation when it starts (the ref stays valid across restarts) and read by
/// every call.
///
/// # Thread safety
/// Any thread: `target` is read and written under the runtime's pthread `Lock`.
// Unchecked Sendable: `target` is only read and written while `lock` is held; `Target` is Sendable.
final class ActorBinding<Message: Sendable>: @unchecked Sendable {
    struct Target: Sendable {
        let ref: ActorRef<Message>
        /// The actor system's clock: deadlines are measured on it.
        let clock: any ActorClock
    }

    private let lock = Lock()
    private var target: Target?

    /// Records the actor's ref and its system's clock.
    func bind(_ ref: ActorRef<Message>, clock: any ActorClock) {
        lock.withLock { target = Target(ref: ref, clock: clock) }
    }

    /// The actor, or nil before its first start.
    var current: Target? {
        lock.withLock { target }
    }
}
