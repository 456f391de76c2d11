/// Why an actor's incarnation ended.
///
/// Three kinds, as in OTP: a **normal** end (``normal``), a **shutdown** (``stopped``,
/// ``shutdown(reason:)``, ``escalated(child:error:)``) and a **failure** (every other case).
/// Only a failure restarts a ``RestartType/transient`` child; a ``RestartType/permanent``
/// child is restarted whatever the reason, a ``RestartType/temporary`` one never.
///
/// | Troupe | OTP exit reason |
/// | --- | --- |
/// | ``normal`` | `normal` |
/// | ``stopped`` | `shutdown`, sent by the supervisor (`terminate_child`, a strategy, system shutdown) |
/// | ``shutdown(reason:)`` | `shutdown` / `{shutdown, Term}`, chosen by the process itself |
/// | ``escalated(child:error:)`` | the `shutdown` a supervisor ends with after `reached_max_restart_intensity` |
/// | ``failed(_:)``, ``startFailed(_:)`` | any other term |
/// | ``cancelled`` | `killed` after the shutdown timeout |
public enum ExitReason: Sendable, CustomStringConvertible {
    /// The actor stopped itself (``ActorContext/stop()``).
    case normal
    /// Its parent or the system stopped it (shutdown, strategy, passivation, eviction).
    case stopped
    /// The actor ended itself with a shutdown reason (``ActorContext/shutdown(reason:)``):
    /// an orderly end that is not a failure, as OTP's `shutdown` (`reason` nil) or
    /// `{shutdown, Term}` (`reason` the term, as text). A transient child is not restarted
    /// after it; a permanent one is.
    case shutdown(reason: String?)
    /// A handler or signal handler threw.
    case failed(any Error)
    /// The factory or ``Behavior/started(context:)`` threw.
    case startFailed(any Error)
    /// It did not stop within its shutdown timeout and its task was cancelled; or it ignored
    /// that cancellation for one more timeout and was abandoned (see ``ShutdownPolicy``).
    case cancelled
    /// A supervisor gave up: its children needed more restarts than its
    /// ``RestartIntensity`` allows, so it stopped them all and ended. `child` is the child
    /// whose end exceeded the intensity, `error` wraps that child's reason.
    ///
    /// A shutdown, not a failure, as in OTP (where such a supervisor exits with
    /// `shutdown`): its own supervisor restarts it if it is permanent (which counts towards
    /// that supervisor's intensity, so giving up climbs the tree one level at a time) and
    /// leaves it down if it is transient or temporary.
    case escalated(child: ActorPath, error: any Error)

    /// True for the reasons that count as a failure for restart decisions: a
    /// ``RestartType/transient`` child is restarted after these only.
    public var isFailure: Bool {
        switch self {
        case .normal, .stopped, .shutdown, .escalated: false
        case .failed, .startFailed, .cancelled: true
        }
    }

    /// True for the shutdown reasons (OTP's `shutdown` and `{shutdown, Term}`): ``stopped``,
    /// ``shutdown(reason:)`` and ``escalated(child:error:)``. Neither a failure nor ``normal``.
    public var isShutdown: Bool {
        switch self {
        case .stopped, .shutdown, .escalated: true
        case .normal, .failed, .startFailed, .cancelled: false
        }
    }

    public var description: String {
        switch self {
        case .normal: "normal"
        case .stopped: "stopped"
        case .shutdown(let reason?): "shutdown: \(reason)"
        case .shutdown(nil): "shutdown"
        case .failed(let error): "failed: \(error)"
        case .startFailed(let error): "start failed: \(error)"
        case .cancelled: "cancelled after shutdown timeout"
        case .escalated(let child, let error): "escalated (restart intensity exceeded) from \(child): \(error)"
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
