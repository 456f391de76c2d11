/// Why a ``SupervisorRef`` request was refused: OTP's `supervisor` error terms, typed.
///
/// Each case carries the path of the child (or of the supervisor) it is about.
public enum SupervisorError: Error, Sendable, CustomStringConvertible {
    /// The supervisor has no child of that name (OTP's `not_found`).
    case notFound(child: String, supervisor: ActorPath)
    /// The child is running: terminate it first (OTP's `running`, from `restart_child` and
    /// `delete_child`).
    case running(ActorPath)
    /// The child waits for a delayed restart (its supervisor's backoff): it is neither
    /// running nor stopped (OTP's `restarting`).
    case restarting(ActorPath)
    /// A child of that name runs already (OTP's `{already_started, Child}`).
    case alreadyStarted(ActorPath)
    /// A stopped child of that name is kept by the supervisor: restart it, or delete it
    /// first (OTP's `already_present`).
    case alreadyPresent(ActorPath)
    /// The child's start threw: its factory, its `started` hook, or (for a supervisor) a
    /// child of its own. A child added by ``SupervisorRef/startChild(_:)`` is not kept; one
    /// restarted by ``SupervisorRef/restartChild(_:)`` stays, stopped.
    case startFailed(ActorPath, any Error)
    /// No supervisor at this path takes requests: there is none (it was deleted, or it is
    /// an ordinary actor), it has stopped for good, or the system shut down.
    case unavailable(ActorPath)

    public var description: String {
        switch self {
        case .notFound(let child, let supervisor): "\(supervisor) has no child named \(child)"
        case .running(let path): "\(path) is running; terminate it first"
        case .restarting(let path): "\(path) is waiting for a delayed restart"
        case .alreadyStarted(let path): "\(path) is already started"
        case .alreadyPresent(let path): "\(path) is present, stopped; restart or delete it"
        case .startFailed(let path, let error): "\(path) failed to start: \(error)"
        case .unavailable(let path): "no supervisor at \(path) takes requests (none there, stopped, or the system is down)"
        }
    }
}

/// Equality of supervisor errors, so that a test can say which one it expects:
/// `#expect(throws: SupervisorError.running(path)) { try await supervisor.deleteChild("w") }`.
extension SupervisorError: Equatable {
    /// The same case with equal values. ``startFailed(_:_:)`` holds any error: two are equal
    /// when both errors have the same dynamic type and the same description.
    public static func == (lhs: SupervisorError, rhs: SupervisorError) -> Bool {
        // A switch over `lhs` alone stays exhaustive: a new case must say how it compares.
        switch lhs {
        case .notFound(let child, let supervisor): if case .notFound(child, supervisor) = rhs { return true }
        case .running(let path): if case .running(path) = rhs { return true }
        case .restarting(let path): if case .restarting(path) = rhs { return true }
        case .alreadyStarted(let path): if case .alreadyStarted(path) = rhs { return true }
        case .alreadyPresent(let path): if case .alreadyPresent(path) = rhs { return true }
        case .startFailed(let path, let error):
            if case .startFailed(path, let other) = rhs {
                return ObjectIdentifier(type(of: error)) == ObjectIdentifier(type(of: other))
                    && String(describing: error) == String(describing: other)
            }
        case .unavailable(let path): if case .unavailable(path) = rhs { return true }
        }
        return false
    }
}
