import Synchronization

/// A tree of actors with its own threads, clock and dead letters.
///
/// The system's root supervisor (`/root`) owns every actor, directly or through the
/// supervisors under it. Several systems can live in one process; they share nothing.
///
/// ```swift
/// // Counter and CounterMessage as in Documentation/Embedding.md, "An actor".
/// let system = ActorSystem(name: "shop")
/// let counter = try await system.spawn("counter", mailbox: .init(capacity: 1_000)) { Counter() }
/// await counter.send(.add(5))
/// let value = try await counter.ask { .get($0) }
/// await system.shutdown()
/// ```
///
/// # Lifecycle
/// The system runs from `init` until ``shutdown(timeout:)``, which stops the tree in reverse
/// start order and waits for every task the system started. Call it: the system's threads
/// keep running until then. If the root supervisor gives up (its restart intensity
/// exceeded: ``ExitReason/escalated(child:error:)``) or fails, the system ends on its own;
/// ``terminated()`` reports why.
///
/// # Concurrency contract
/// All members may be used from any task or thread.
// Unchecked Sendable: immutable state and atomics; `shuttingDown` and `allTasksEnded` are
// guarded by `lock`, and so is `rootStorage` after `init` sets it (before the system is
// shared).
public final class ActorSystem: @unchecked Sendable {

    /// The system's name (used for thread names and logs).
    public let name: String
    /// The settings the system was started with (threads, clock, ask timeout, root supervisor, ...).
    public let configuration: Configuration
    /// The clock everything in this system uses.
    public let clock: any ActorClock
    /// ``Configuration/idleTaskRelease`` in nanoseconds (`Int64.max`: never), read by every
    /// actor that runs out of messages.
    @usableFromInline let idleTaskReleaseNanos: Int64
    /// Where undelivered messages are counted and observed.
    public let deadLetters = DeadLetterOffice()
    @usableFromInline let lifecycle = Observers<LifecycleEvent>()
    /// Deadlines of asks and waiting senders (one sweep timer for all).
    @usableFromInline let deadlines: DeadlineLanes
    /// Who waits on whom among handlers that ask, so an ask closing a cycle fails at once.
    @usableFromInline let waitForGraph = WaitForGraph()

    let executor: ActorExecutor
    private let liveTasks = Atomic<Int>(0)
    private let liveIncarnations = Atomic<Int>(0)
    /// Tasks abandoned and still running (a subset of `liveTasks`), and all ever abandoned.
    private let abandonedTasks = Atomic<Int>(0)
    private let abandonedTasksEver = Atomic<Int>(0)
    private let seeds: Atomic<UInt64>
    private let lock = Lock()
    private var shuttingDown = false
    private var allTasksEnded: Completion<Void>?
    private let rootEndedCompletion = Completion<ExitReason>()
    /// The root supervisor until it has ended: then the system lets go of it, which breaks
    /// the cycle between them (every cell refers to its system), so a system that was shut
    /// down is freed once its user lets go of it.
    private var rootStorage: BehaviorCell<SupervisorBehavior>?

    var root: BehaviorCell<SupervisorBehavior>? { lock.withLock { rootStorage } }

    /// Starts a system: its executor threads and its root supervisor.
    public init(name: String = "troupe", configuration: Configuration = Configuration()) {
        self.name = name
        self.configuration = configuration
        self.clock = configuration.clock
        self.idleTaskReleaseNanos = configuration.idleTaskRelease?.nanosecondsSaturating ?? .max
        self.deadlines = DeadlineLanes(clock: configuration.clock)
        self.seeds = Atomic(configuration.randomSeed)
        self.executor = ActorExecutor(name: String(name.prefix(8)) + "-w", threads: configuration.threads)
        let rootSpec = try! ChildSpec.supervisor("root", configuration.rootSupervisor)
        let root = BehaviorCell<SupervisorBehavior>.supervisor(
            path: .root, system: self, parent: nil, spec: rootSpec, supervisorSpec: configuration.rootSupervisor
        )
        rootStorage = root
        _ = root.launchIncarnation(started: nil)
    }

    // MARK: Spawning

    /// Starts an actor under the root supervisor and waits until its `started` hook ran.
    ///
    /// - Parameter restart: defaults to ``RestartType/permanent``, as everywhere a child is
    ///   made (``ChildSpec``, ``ActorContext/spawn(_:mailbox:restart:shutdown:_:)``).
    /// - Throws: ``ConfigurationError`` for a bad or duplicate name; the start error if the
    ///   factory or `started` threw; ``ActorSystemError/stopped(_:)`` after shutdown.
    @inlinable
    public func spawn<B: Behavior>(
        _ name: String,
        mailbox: MailboxConfiguration,
        restart: RestartType = .permanent,
        shutdown: ShutdownPolicy = .defaultForActors,
        _ factory: @escaping @Sendable () throws -> B
    ) async throws -> ActorRef<B.Message> {
        let spec = try ChildSpec.actor(name, mailbox: mailbox, restart: restart, shutdown: shutdown, factory)
        let cell = try await startChild(spec)
        // The spec was made from B, so its cell is a BehaviorCell<B>.
        return ActorRef(cell: cell as! ActorCell<B.Message>)
    }

    /// Starts a child (an actor or a whole supervisor subtree) under the root supervisor and
    /// waits until it (and, for a supervisor, all its children, in order) started.
    @discardableResult
    public func start(_ spec: ChildSpec) async throws -> ActorPath {
        try await startChild(spec).path
    }

    @usableFromInline
    func startChild(_ spec: ChildSpec) async throws -> CellBase {
        let completion = Completion<SupervisorCommand.Answer>()
        guard let root else { throw ActorSystemError.stopped(.root) }
        root.enqueueSystem(.command(SupervisorCommand(kind: .start(spec), completion: completion)))
        guard case .cell(let cell?) = try await completion.wait().get() else { throw ActorSystemError.stopped(.root) }
        return cell
    }

    /// Stops the root's child named `name` for good and removes it from the tree (OTP's
    /// `terminate_child` then `delete_child`); for a child that had already ended and stayed
    /// in the tree (a transient one after a normal end), it only frees the name. Returns
    /// false if there is none.
    @discardableResult
    public func stop(childNamed name: String) async -> Bool {
        let completion = Completion<SupervisorCommand.Answer>()
        guard let root else { return false }
        root.enqueueSystem(.command(SupervisorCommand(kind: .stop(name: name), completion: completion)))
        guard case .cell(_?) = try? await completion.wait().get() else { return false }
        return true
    }

    /// The supervisor at `path`, to administer its children (``SupervisorRef``): the root
    /// (``ActorPath/root``), one placed with ``start(_:)``, or one nested in a spec. Nil if
    /// there is no actor at `path` or it is not a supervisor (an ordinary actor manages the
    /// children it spawns itself).
    public func supervisor(at path: ActorPath) -> SupervisorRef? {
        guard let cell = cell(at: path), cell.isSupervisor else { return nil }
        return SupervisorRef(path: path, system: self)
    }

    // MARK: Finding actors

    /// The actor at `path`, if it exists and accepts `Message`; nil otherwise, whichever it
    /// was (``ref(at:as:)`` tells them apart). A child of a spec is best reached through a
    /// `ChildRef` made with its spec: typed, with no path to spell.
    public func lookup<Message: Sendable>(_ path: ActorPath, as type: Message.Type = Message.self) -> ActorRef<Message>? {
        guard let cell = cell(at: path) as? ActorCell<Message> else { return nil }
        return ActorRef(cell: cell)
    }

    /// The actor at `path`, which must accept `Message`.
    ///
    /// - Throws: ``LookupError/notFound(_:)`` if no actor is there;
    ///   ``LookupError/wrongMessageType(_:expected:actual:)`` if it takes other messages.
    public func ref<Message: Sendable>(at path: ActorPath, as type: Message.Type = Message.self) throws(LookupError) -> ActorRef<Message> {
        guard let found = cell(at: path) else { throw .notFound(path) }
        guard let cell = found as? ActorCell<Message> else {
            let actual = (found as? any MessageTypeNaming)?.messageTypeName ?? "\(Swift.type(of: found))"
            throw .wrongMessageType(path, expected: "\(Message.self)", actual: actual)
        }
        return ActorRef(cell: cell)
    }

    func cell(at path: ActorPath) -> CellBase? {
        guard path.components.first == "root" else { return nil }
        guard let root else { return nil }
        var current: CellBase = root
        for name in path.components.dropFirst() {
            guard let next = current.child(named: name) else { return nil }
            current = next
        }
        return current
    }

    // MARK: Introspection

    /// Incarnations running now (each actor that is up counts once).
    public var liveActorCount: Int { liveIncarnations.load(ordering: .acquiring) }

    /// Tasks the system started that have not finished: incarnations and background work.
    /// Zero after a clean ``shutdown(timeout:)``. Abandoned tasks still running are included.
    public var liveTaskCount: Int { liveTasks.load(ordering: .acquiring) }

    /// Abandoned tasks that are still running: incarnations, and background work, that
    /// ignored cancellation for their whole shutdown timeout after it passed (see
    /// ``ShutdownPolicy``). Nobody waits for them any more; they are counted in
    /// ``liveTaskCount`` until they end, and a ``shutdown(timeout:)`` does not wait for them.
    public var abandonedTaskCount: Int { abandonedTasks.load(ordering: .acquiring) }

    /// Tasks abandoned since the system started, whether or not they ended since: a
    /// counter, like ``DeadLetterOffice/total``. Each abandonment is also logged (warning).
    public var abandonedTasksTotal: Int { abandonedTasksEver.load(ordering: .relaxed) }

    /// Asks that failed with ``AskError/deadlock(cycle:)`` since the system started: each
    /// would have closed a cycle of actors waiting on each other's replies. A counter, like
    /// ``abandonedTasksTotal``; a nonzero value is a design bug in the actors involved.
    public var askCyclesTotal: Int { waitForGraph.cyclesDetected }

    /// Metrics of the actor at `path`.
    public func metrics(at path: ActorPath) -> ActorMetrics? {
        cell(at: path)?.metricsSnapshot()
    }

    /// Metrics of every actor in the tree, depth first in start order.
    public func allMetrics() -> [ActorMetrics] {
        var result: [ActorMetrics] = []
        func visit(_ cell: CellBase) {
            result.append(cell.metricsSnapshot())
            for child in cell.childrenSnapshot { visit(child) }
        }
        if let root { visit(root) }
        return result
    }

    /// The live tree, one actor a line, indented two spaces per depth:
    /// `<path> mailbox=<depth>/<capacity> restarts=<n> state=<state>` (the `TREE` format);
    /// empty once the root supervisor has ended.
    public func tree() -> String {
        root.map(TreeRenderer.render) ?? ""
    }

    /// Calls `observer` for every lifecycle event from now on (starts, ends, terminations),
    /// synchronously on the runtime's thread: keep it quick. Returns a token for
    /// ``removeLifecycleObserver(_:)``.
    @discardableResult
    public func addLifecycleObserver(_ observer: @escaping @Sendable (LifecycleEvent) -> Void) -> UInt64 {
        lifecycle.add(observer)
    }

    /// Stops calling the observer that ``addLifecycleObserver(_:)`` returned `token` for;
    /// an unknown token is ignored.
    public func removeLifecycleObserver(_ token: UInt64) {
        lifecycle.remove(token)
    }

    // MARK: Fault injection

    /// Makes the actor at `path` throw ``InjectedFault`` on its `nth` next message (1 = the
    /// next one), so its supervisor reacts as to any failure. A supervisor, which takes no
    /// messages, fails at once (its children are stopped, and restarted with it if its own
    /// supervisor restarts it). Returns false for an unknown path.
    @discardableResult
    public func injectFault(at path: ActorPath, onMessage nth: Int = 1) -> Bool {
        guard let cell = cell(at: path) else { return false }
        cell.enqueueSystem(.injectFault(nth: nth))
        return true
    }

    // MARK: Shutdown

    /// Stops every actor, last started first, each gracefully within its shutdown policy,
    /// then waits for every task of the system to finish and stops its threads.
    ///
    /// If the tree has not stopped after `timeout`, its remaining tasks are cancelled and
    /// waited for once more as long. Calling it again waits for the same shutdown. Called
    /// from inside one of this system's actors it only starts the shutdown (the caller's own
    /// task must end first) and returns at once.
    ///
    /// Tasks abandoned after ignoring cancellation (``abandonedTaskCount``) are not waited
    /// for: once every other task has ended, it returns, with ``ShutdownReport/completed``
    /// false and the count in ``ShutdownReport/abandonedTasks``. The threads then stay, since
    /// an abandoned task may still be running on one or resume later; calling it again once
    /// they have ended (``liveTaskCount`` 0) stops them.
    @discardableResult
    public func shutdown(timeout: Duration = .seconds(10)) async -> ShutdownReport {
        let started = ContinuousClock.now
        let tasksEnded: Completion<Void> = lock.withLock {
            if !shuttingDown {
                shuttingDown = true
                let completion = Completion<Void>()
                allTasksEnded = completion
                if allTasksEndedOrAbandoned(remaining: liveTasks.load(ordering: .acquiring)) { completion.succeed(()) }
            }
            return allTasksEnded!
        }
        root?.enqueueSystem(.stop(.terminate))
        if executor.isCurrent {
            return ShutdownReport(completed: false, remainingTasks: liveTaskCount, abandonedTasks: abandonedTaskCount, duration: .zero)
        }
        var inTime = await tasksEnded.wait(until: clock.now.advanced(by: timeout), clock: clock) != nil
        if !inTime {
            log(.warning, "shutdown of \(name) exceeded \(timeout); cancelling \(liveTaskCount) remaining task(s)")
            root?.cancelSubtree()
            inTime = await tasksEnded.wait(until: clock.now.advanced(by: timeout), clock: clock) != nil
        }
        let remaining = liveTaskCount
        let completed = inTime && remaining == 0
        if completed { executor.shutdown() }
        return ShutdownReport(
            completed: completed, remainingTasks: remaining, abandonedTasks: abandonedTaskCount,
            duration: ContinuousClock.now - started
        )
    }

    /// Waits until the root supervisor has ended (after shutdown, or after it gave up or failed).
    public func terminated() async -> ExitReason {
        (try? await rootEndedCompletion.wait().get()) ?? .stopped
    }

    // MARK: Runtime bookkeeping

    @usableFromInline
    func incarnationStarted() {
        liveIncarnations.add(1, ordering: .relaxed)
        taskStarted()
    }

    @usableFromInline
    func incarnationEnded() {
        liveIncarnations.subtract(1, ordering: .relaxed)
        taskEnded()
    }

    @usableFromInline
    func taskStarted() {
        liveTasks.add(1, ordering: .relaxed)
    }

    @usableFromInline
    func taskEnded() {
        let remaining = liveTasks.subtract(1, ordering: .acquiringAndReleasing).newValue
        guard allTasksEndedOrAbandoned(remaining: remaining) else { return }
        settleShutdownWait()
    }

    /// True when the only tasks left (`remaining`) are abandoned ones. The abandoned count
    /// goes up before an abandoned task's end is counted and down before it, so this never
    /// holds while a task that is not abandoned runs.
    private func allTasksEndedOrAbandoned(remaining: Int) -> Bool {
        remaining <= abandonedTasks.load(ordering: .acquiring)
    }

    /// Releases a shutdown waiting for the tasks, if one is.
    private func settleShutdownWait() {
        let completion: Completion<Void>? = lock.withLock { shuttingDown ? allTasksEnded : nil }
        completion?.succeed(())
    }

    /// An incarnation was abandoned: it no longer counts as a live actor, and its task (still
    /// running, still counted in `liveTasks`) as an abandoned one. Only atomics: callable
    /// under a cell's lock. Call ``abandonmentsNoted()`` after releasing it.
    func incarnationAbandoned() {
        liveIncarnations.subtract(1, ordering: .relaxed)
        tasksAbandoned(1)
    }

    /// `count` running tasks were abandoned (only atomics, as ``incarnationAbandoned()``).
    func tasksAbandoned(_ count: Int) {
        abandonedTasks.add(count, ordering: .acquiringAndReleasing)
        abandonedTasksEver.add(count, ordering: .relaxed)
    }

    /// After abandonments: a shutdown waiting only for those tasks may return now.
    func abandonmentsNoted() {
        if allTasksEndedOrAbandoned(remaining: liveTasks.load(ordering: .acquiring)) { settleShutdownWait() }
    }

    /// An abandoned task ended at last (instead of ``taskEnded()``, or ``incarnationEnded()``:
    /// an abandoned incarnation stopped counting as a live actor when it was abandoned).
    func abandonedTaskEnded() {
        abandonedTasks.subtract(1, ordering: .acquiringAndReleasing)
        taskEnded()
    }

    @usableFromInline
    func rootEnded(_ reason: ExitReason) {
        let root = lock.withLock {
            defer { rootStorage = nil }
            return rootStorage
        }
        root?.terminate(reason)
        switch reason {
        case .stopped:
            break
        default:
            // It failed, or gave up after too many restarts (a shutdown, but not one anybody
            // asked for): the system ends on its own.
            log(.error, "the root supervisor of \(name) ended: \(reason); the system has stopped")
        }
        rootEndedCompletion.succeed(reason)
    }

    /// A seed for one supervisor's jitter, derived from the configured seed.
    @usableFromInline
    func nextSeed() -> UInt64 {
        seeds.wrappingAdd(0x9E37_79B9_7F4A_7C15, ordering: .relaxed).newValue
    }

    @usableFromInline
    func log(_ level: LogLevel, _ message: @autoclosure () -> String) {
        guard level >= configuration.logLevel else { return }
        configuration.logger(level, "[\(name)] \(message())")
    }
}

/// Names the message type of a cell seen as a `CellBase`, for ``LookupError``.
private protocol MessageTypeNaming {
    var messageTypeName: String { get }
}

extension ActorCell: MessageTypeNaming {
    fileprivate var messageTypeName: String { "\(Message.self)" }
}

/// Errors of the system façade.
public enum ActorSystemError: Error, Sendable, CustomStringConvertible {
    /// The supervisor that should have run the request has stopped (the system shut down).
    case stopped(ActorPath)

    public var description: String {
        switch self {
        case .stopped(let path): "\(path) has stopped; the actor system is shutting down or down"
        }
    }
}

/// What ``ActorSystem/shutdown(timeout:)`` achieved.
public struct ShutdownReport: Sendable, Hashable {
    /// True if every task of the system finished.
    public let completed: Bool
    /// Tasks still running (non-zero only if some ignored cancellation).
    public let remainingTasks: Int
    /// Of ``remainingTasks``, those abandoned: they ignored cancellation past their shutdown
    /// timeout, so neither their supervisors nor the shutdown waited for them (see
    /// ``ActorSystem/abandonedTaskCount``).
    public let abandonedTasks: Int
    /// Real time the shutdown took.
    public let duration: Duration
}
