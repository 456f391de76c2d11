public import Troupe

/// A value a test already holds that names one actor of a tree: an ``ActorPath``, an
/// `ActorRef`, a `ChildRef`, a `SupervisorRef`.
///
/// Lifecycle expectations (`Lifecycle.started(_:)`) and fault
/// injection (`system.injectFault(at:onMessage:)`) take one, so a test names the actor by
/// its typed handle and a misspelt name is a compile error, not a wait that times out.
///
/// # Concurrency contract
/// Conformers are `Sendable`; ``actorPath`` may be read from any thread.
public protocol ActorPathProviding: Sendable {
    /// Where the actor sits; nil for a `ChildRef` whose spec is not placed yet.
    var actorPath: ActorPath? { get }
}

extension ActorPath: ActorPathProviding {
    public var actorPath: ActorPath? { self }
}

extension ActorRef: ActorPathProviding {
    public var actorPath: ActorPath? { path }
}

extension ChildRef: ActorPathProviding {
    /// Bound when a supervisor places the ref's spec, before the actor runs: so by the time
    /// `system.start` (or `startChild`) returned, and for every event of the actor.
    public var actorPath: ActorPath? { ref?.path }
}

extension SupervisorRef: ActorPathProviding {
    public var actorPath: ActorPath? { path }
}

extension ActorPathProviding {
    /// The path as lifecycle events print it (`/root/shop/account`), or a text no event
    /// carries (`<ChildRef<AccountMessage> not placed>`), so an expectation built from an
    /// unplaced ref fails at once, naming it, instead of matching nothing until a timeout.
    var lifecycleText: String {
        actorPath?.description ?? "<\(Self.self) not placed>"
    }
}

extension ActorSystem {
    /// ``injectFault(at:onMessage:)`` for the actor `actor` names: its `ActorRef`,
    /// `ChildRef` or `SupervisorRef`. Returns false if it names no actor (a `ChildRef`
    /// not placed yet, an actor no longer in the tree).
    @discardableResult
    public func injectFault(at actor: some ActorPathProviding, onMessage nth: Int = 1) -> Bool {
        guard let path = actor.actorPath else { return false }
        return injectFault(at: path, onMessage: nth)
    }
}
