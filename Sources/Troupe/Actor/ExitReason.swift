/// Why an actor's incarnation ended.
public enum ExitReason: Sendable, CustomStringConvertible {
    /// The actor stopped itself (``ActorContext/stop()``).
    case normal
    /// Its parent or the system stopped it (shutdown, strategy, passivation, eviction).
    case stopped
    /// A handler or signal handler threw.
    case failed(any Error)
    /// The factory or ``Behavior/started(context:)`` threw.
    case startFailed(any Error)
    /// It did not stop within its shutdown timeout and its task was cancelled.
    case cancelled
    /// Its children failed more often than its restart intensity allows.
    case escalated(child: ActorPath, error: any Error)

    /// True for the reasons that count as a failure for restart decisions.
    public var isFailure: Bool {
        switch self {
        case .normal, .stopped: false
        case .failed, .startFailed, .cancelled, .escalated: true
        }
    }

    public var description: String {
        switch self {
        case .normal: "normal"
        case .stopped: "stopped"
        case .failed(let error): "failed: \(error)"
        case .startFailed(let error): "start failed: \(error)"
        case .cancelled: "cancelled after shutdown timeout"
        case .escalated(let child, let error): "escalated from \(child): \(error)"
        }
    }
}

/// A lifecycle event delivered to a behavior's ``Behavior/receiveSignal(_:context:)``.
public enum Signal: Sendable, CustomStringConvertible {
    /// A watched actor stopped for good (it will not be restarted).
    case terminated(ActorPath, ExitReason)

    public var description: String {
        switch self {
        case .terminated(let path, let reason): "terminated(\(path), \(reason))"
        }
    }
}

/// The error an actor throws when a test or the `CRASH` command injected a fault into it.
public struct InjectedFault: Error, Sendable, Hashable, CustomStringConvertible {
    /// The actor the fault was injected into.
    public let path: ActorPath

    @usableFromInline
    init(path: ActorPath) {
        self.path = path
    }

    public var description: String { "injected fault at \(path)" }
}
