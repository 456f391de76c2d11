public import Troupe

/// A compact, comparable view of a lifecycle event, for expectations that read like the
/// scenario. Name the actor by the typed handle the test already holds, so a misspelt
/// actor is a compile error:
///
/// ```swift
/// let account = ChildRef<AccountMessage>()
/// let shop = try await system.start(.supervisor("shop", SupervisorSpec(children: [
///     account.childSpec("account", mailbox: .init(capacity: 16)) { Account() },
/// ])))
/// ...
/// try await lifecycle.expect(sequence: [.failed(account), .started(account)])
/// try await lifecycle.expect(.stopped(shop))   // `start` returned the supervisor's path
/// ```
///
/// Each of `.started`, `.failed`, `.stopped` and `.terminated` takes an `ActorRef`, a
/// `ChildRef`, a `SupervisorRef` or an `ActorPath` (``ActorPathProviding``). A `ChildRef`
/// is bound when its spec is placed, before the actor runs, so it names its actor in every
/// expectation made after `start` returned; one whose spec is not placed yet makes an
/// expectation that no event matches, and whose failure names it.
///
/// The cases hold the path as text (`.started("/root/a")`), for events of actors the test
/// holds no handle to; prefer the typed forms.
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

    /// An incarnation of `actor` started.
    public static func started(_ actor: some ActorPathProviding) -> Lifecycle { .started(actor.lifecycleText) }
    /// An incarnation of `actor` ended with a failure (see the `failed` case).
    public static func failed(_ actor: some ActorPathProviding) -> Lifecycle { .failed(actor.lifecycleText) }
    /// An incarnation of `actor` ended without failure (see the `stopped` case).
    public static func stopped(_ actor: some ActorPathProviding) -> Lifecycle { .stopped(actor.lifecycleText) }
    /// `actor` stopped for good.
    public static func terminated(_ actor: some ActorPathProviding) -> Lifecycle { .terminated(actor.lifecycleText) }

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
    /// A probe recording every lifecycle event of the actors below `parent` (its
    /// descendants, not `parent` itself): `under: shop` records `/root/shop/account` and
    /// `/root/shop/inner/worker`, not `/root/shop`. For a supervisor not started yet, name
    /// its path from the root: `under: ActorPath.root.appending("shop")`.
    public static func lifecycle(of system: ActorSystem, under parent: ActorPath) -> TestProbe<Lifecycle> {
        lifecycle(of: system, under: "\(parent)/")
    }

    /// A probe recording every lifecycle event of `system` whose path starts with `prefix`
    /// (default: every actor but the root supervisor).
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
    ///   - idleTaskRelease: see ``ActorSystem/Configuration/idleTaskRelease``.
    public static func forTesting(
        name: String = "test",
        clock: ManualClock = ManualClock(),
        threads: Int = 2,
        rootSupervisor: SupervisorSpec? = nil,
        askTimeout: Duration = .seconds(5),
        logLevel: LogLevel? = .error,
        logger: @escaping @Sendable (LogLevel, String) -> Void = ActorSystem.Configuration.standardError,
        immediateTurnDepth: Int = 4,
        idleTaskRelease: Duration? = .milliseconds(10)
    ) throws -> ActorSystem {
        let silent: @Sendable (LogLevel, String) -> Void = { _, _ in }
        return ActorSystem(
            name: name,
            configuration: try .init(
                threads: threads, clock: clock, askTimeout: askTimeout,
                rootSupervisor: rootSupervisor, randomSeed: 42, logLevel: logLevel ?? .error,
                logger: logLevel == nil ? silent : logger, immediateTurnDepth: immediateTurnDepth,
                idleTaskRelease: idleTaskRelease
            )
        )
    }
}
