public import Troupe

/// A compact, comparable view of a lifecycle event, for expectations that read like the
/// scenario: `.started("/root/a")`, `.failed("/root/a")`, `.terminated("/root/a")`.
public enum Lifecycle: Sendable, Hashable, CustomStringConvertible {
    /// An incarnation started.
    case started(String)
    /// An incarnation ended with a failure (a handler or its start threw, or it was
    /// cancelled after its shutdown timeout): ``ExitReason/isFailure``.
    case failed(String)
    /// An incarnation ended without failure: normally, or with a shutdown reason (stopped
    /// by its parent or the system, ended itself with a shutdown, or a supervisor that gave
    /// up after too many restarts).
    case stopped(String)
    /// The actor stopped for good.
    case terminated(String)

    init(_ event: LifecycleEvent) {
        let path = event.path.description
        switch event.kind {
        case .started: self = .started(path)
        case .ended: self = (event.reason?.isFailure ?? false) ? .failed(path) : .stopped(path)
        case .terminated: self = .terminated(path)
        }
    }

    /// The path of the actor the event is about, as text (`/root/a`).
    public var path: String {
        switch self {
        case .started(let path), .failed(let path), .stopped(let path), .terminated(let path): path
        }
    }

    public var description: String {
        switch self {
        case .started(let path): "started \(path)"
        case .failed(let path): "failed \(path)"
        case .stopped(let path): "stopped \(path)"
        case .terminated(let path): "terminated \(path)"
        }
    }
}

extension TestProbe where Event == Lifecycle {
    /// A probe recording every lifecycle event of `system` under `prefix` (default: all).
    public static func lifecycle(of system: ActorSystem, under prefix: String = "/root/") -> TestProbe<Lifecycle> {
        let probe = TestProbe<Lifecycle>(name: "lifecycle")
        system.addLifecycleObserver { event in
            let summary = Lifecycle(event)
            if summary.path.hasPrefix(prefix) { probe.record(summary) }
        }
        return probe
    }
}

extension TestProbe where Event == DeadLetter {
    /// A probe recording every dead letter of `system`.
    public static func deadLetters(of system: ActorSystem) -> TestProbe<DeadLetter> {
        let probe = TestProbe<DeadLetter>(name: "dead letters")
        system.deadLetters.addObserver { probe.record($0) }
        return probe
    }
}

extension ActorSystem {
    /// A system for tests: a manual clock, a fixed jitter seed, quiet logs.
    ///
    /// - Parameters:
    ///   - logLevel: lines below it are not logged; nil logs nothing, for a test whose
    ///     failure (an escalation up to the root, say) is expected. Default: errors only.
    ///   - logger: where the lines at or above `logLevel` go; a test can record them on a
    ///     probe to expect them. Default: standard error.
    ///   - immediateTurnDepth: see ``ActorSystem/Configuration/immediateTurnDepth``. A test
    ///     that holds the actors' threads to fill a mailbox passes 0: otherwise a sender
    ///     may serve an idle actor on its own thread, and the mailbox never fills.
    public static func forTesting(
        name: String = "test",
        clock: ManualClock = ManualClock(),
        threads: Int = 2,
        rootSupervisor: SupervisorSpec? = nil,
        askTimeout: Duration = .seconds(5),
        logLevel: LogLevel? = .error,
        logger: @escaping @Sendable (LogLevel, String) -> Void = ActorSystem.Configuration.standardError,
        immediateTurnDepth: Int = 4
    ) throws -> ActorSystem {
        let silent: @Sendable (LogLevel, String) -> Void = { _, _ in }
        return ActorSystem(
            name: name,
            configuration: try .init(
                threads: threads, clock: clock, askTimeout: askTimeout,
                rootSupervisor: rootSupervisor, randomSeed: 42, logLevel: logLevel ?? .error,
                logger: logLevel == nil ? silent : logger, immediateTurnDepth: immediateTurnDepth
            )
        )
    }
}
