import Synchronization
import Troupe

/// Where a façade (``DatabasePool``, ``GroupCommitWriter``) finds its actor: set by the
/// actor's incarnation when it starts (the ref stays valid across restarts) and read by
/// every call.
final class ActorBinding<Message: Sendable>: Sendable {
    struct Target: Sendable {
        let ref: ActorRef<Message>
        /// The actor system's clock: deadlines are measured on it.
        let clock: any ActorClock
    }

    private let target = Mutex<Target?>(nil)

    /// Records the actor's ref and its system's clock.
    func bind(_ ref: ActorRef<Message>, clock: any ActorClock) {
        target.withLock { $0 = Target(ref: ref, clock: clock) }
    }

    /// The actor, or nil before its first start.
    var current: Target? {
        target.withLock { $0 }
    }
}
