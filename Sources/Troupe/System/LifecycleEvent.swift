/// Something that happened to an actor: for tests, logs and monitoring.
///
/// Observe them with ``ActorSystem/addLifecycleObserver(_:)``. Events of one actor are
/// emitted in the order they happen.
public struct LifecycleEvent: Sendable, CustomStringConvertible {
    /// What happened to the actor.
    public enum Kind: String, Sendable, Hashable {
        /// An incarnation finished starting (its `started` hook returned). For an actor with
        /// children declared in its spec (a supervisor), after all of them started: a
        /// supervisor's `started` follows its children's, whose subtrees start left to right.
        case started
        /// An incarnation ended; ``reason`` says why. The supervisor decides what follows.
        case ended
        /// The actor stopped for good.
        case terminated
    }

    /// The actor it happened to.
    public let path: ActorPath
    /// What happened.
    public let kind: Kind
    /// 1 for the first incarnation, 2 after the first restart, and so on.
    public let incarnation: Int
    /// Why it ended or terminated (nil for `started`).
    public let reason: ExitReason?

    @usableFromInline
    init(path: ActorPath, kind: Kind, incarnation: Int, reason: ExitReason?) {
        self.path = path
        self.kind = kind
        self.incarnation = incarnation
        self.reason = reason
    }

    public var description: String {
        if let reason { return "\(kind.rawValue) \(path) #\(incarnation): \(reason)" }
        return "\(kind.rawValue) \(path) #\(incarnation)"
    }
}
