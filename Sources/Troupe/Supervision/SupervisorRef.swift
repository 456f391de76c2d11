/// A supervisor of a running tree, to administer its children at run time as OTP's
/// `supervisor` module does: ``startChild(_:)``, ``terminateChild(_:)``,
/// ``restartChild(_:)``, ``deleteChild(_:)``, ``whichChildren()``, ``countChildren()``.
///
/// ```swift
/// guard let shop = system.supervisor(at: ActorPath("/root/shop")!) else { return }
/// try await shop.startChild(.actor("audit", mailbox: .init(capacity: 64)) { Audit() })
/// try await shop.terminateChild("audit")   // stopped; its spec is kept, its name taken
/// try await shop.restartChild("audit")     // running again
/// try await shop.terminateChild("audit")
/// try await shop.deleteChild("audit")      // gone; the name is free
/// let counts = try await shop.countChildren()
/// ```
///
/// Get one with ``ActorSystem/supervisor(at:)``: any supervisor, the root, one placed with
/// ``ActorSystem/start(_:)`` or one nested in a spec. The ref names a place in the tree:
/// each request goes to the supervisor at ``path`` when it is made, so the ref stays valid
/// across the supervisor's restarts.
///
/// # The rules, as in OTP
/// - A child is *running* (an incarnation is up), *restarting* (waiting for a delayed
///   restart) or *stopped* (kept by its supervisor, not running: ended for good without
///   leaving the tree, or terminated by ``terminateChild(_:)``). A stopped child keeps its
///   name taken and its spec, until ``deleteChild(_:)``.
/// - ``terminateChild(_:)`` stops a child for good (within its ``ShutdownPolicy``) and keeps
///   it, stopped, unless it is temporary: a temporary child leaves the tree.
/// - ``restartChild(_:)`` starts a stopped child again; ``deleteChild(_:)`` removes one.
///   Both refuse a running or restarting child. Neither counts towards the restart
///   intensity.
/// - A child added by ``startChild(_:)`` belongs to the supervisor's current incarnation,
///   as one added with ``ActorSystem/start(_:)``: a restart of the supervisor ends it for
///   good. Deleting a child of the supervisor's spec lasts until the supervisor's next
///   restart, which starts its whole spec again (OTP runs `init/1` again).
/// - Requests are handled by the supervisor's own task, one at a time, between its other
///   work: one that comes while it restarts a child waits for that restart to finish.
///
/// A keyed supervisor (``KeyedActors``) lists only the children it was given in a spec or
/// with ``startChild(_:)``: its per-key actors come and go with their keys.
///
/// # Concurrency contract
/// `Sendable`; every method may be called from any task or thread. A child that awaits a
/// request to its own supervisor in a handler can meet that supervisor waiting for it (to
/// stop it for that very request, or for a restart): they then wait for each other until
/// the child's shutdown timeout abandons it. Send such requests from outside the subtree,
/// or from a task the child does not wait for.
public struct SupervisorRef: Sendable, CustomStringConvertible {
    /// Where the supervisor is in the tree.
    public let path: ActorPath
    private let system: ActorSystem

    init(path: ActorPath, system: ActorSystem) {
        self.path = path
        self.system = system
    }

    public var description: String { "SupervisorRef(\(path))" }

    /// One child as ``SupervisorRef/whichChildren()`` reports it (OTP's
    /// `{Id, Child, Type, Modules}`).
    public struct Child: Sendable, Hashable {
        /// Whether an incarnation of the child is up.
        public enum Status: String, Sendable, Hashable {
            /// An incarnation runs (OTP: a pid).
            case running
            /// It waits for a delayed restart, after a backoff (OTP: `restarting`).
            case restarting
            /// Kept, not running (OTP: `undefined`): ended for good without leaving the tree,
            /// or terminated with ``SupervisorRef/terminateChild(_:)``.
            case stopped
        }

        /// Whether the child supervises children of its own (OTP's child type).
        public enum Kind: String, Sendable, Hashable {
            /// An ordinary actor.
            case worker
            /// A supervisor (placed with ``ChildSpec/supervisor(_:_:restart:shutdown:)``, or a
            /// ``KeyedActors``).
            case supervisor
        }

        /// Its name among its siblings (OTP's child id).
        public let name: String
        /// Its path.
        public let path: ActorPath
        /// Running, restarting or stopped.
        public let status: Status
        /// Worker or supervisor.
        public let kind: Kind
        /// When its supervisor restarts it.
        public let restart: RestartType
    }

    /// How many children a supervisor has, as OTP's `count_children`.
    public struct ChildCounts: Sendable, Hashable {
        /// Every child, running or not (OTP's `specs`).
        public let specs: Int
        /// The children running now (OTP's `active`).
        public let active: Int
        /// The children that are supervisors, running or not.
        public let supervisors: Int
        /// The children that are workers, running or not.
        public let workers: Int
    }

    // MARK: Requests

    /// Adds a child and starts it; returns once it started (for a supervisor, its whole
    /// subtree, in order). OTP's `start_child`.
    ///
    /// - Throws: ``SupervisorError/alreadyStarted(_:)`` if a running child has the name,
    ///   ``SupervisorError/alreadyPresent(_:)`` if a stopped or restarting one has it;
    ///   ``SupervisorError/startFailed(_:_:)`` if the start threw (the child is not kept);
    ///   ``SupervisorError/unavailable(_:)`` if the supervisor is gone.
    @discardableResult
    public func startChild(_ spec: ChildSpec) async throws(SupervisorError) -> ActorPath {
        guard case .cell(let cell?) = try await request(.startChild(spec)) else { throw .unavailable(path) }
        return cell.path
    }

    /// Stops the child for good, within its ``ShutdownPolicy`` (a child that ignores its
    /// stop and its cancellation is abandoned). A permanent or transient child stays,
    /// stopped, for ``restartChild(_:)`` or ``deleteChild(_:)``; a temporary one leaves the
    /// tree. A child that was stopped already stays so, and one waiting for a delayed
    /// restart is not restarted. OTP's `terminate_child`.
    ///
    /// - Throws: ``SupervisorError/notFound(child:supervisor:)``,
    ///   ``SupervisorError/unavailable(_:)``.
    public func terminateChild(_ name: String) async throws(SupervisorError) {
        _ = try await request(.terminateChild(name))
    }

    /// Starts a stopped child again and returns once it started. It is the same actor (its
    /// refs reach it again), unless its last incarnation was abandoned: then it is a new
    /// actor at the same path (see ``ShutdownPolicy``). OTP's `restart_child`.
    ///
    /// - Throws: ``SupervisorError/running(_:)``, ``SupervisorError/restarting(_:)``,
    ///   ``SupervisorError/notFound(child:supervisor:)``,
    ///   ``SupervisorError/startFailed(_:_:)`` (the child stays, stopped),
    ///   ``SupervisorError/unavailable(_:)``.
    public func restartChild(_ name: String) async throws(SupervisorError) {
        _ = try await request(.restartChild(name))
    }

    /// Removes a stopped child: its name is free again. OTP's `delete_child`.
    ///
    /// - Throws: ``SupervisorError/running(_:)``, ``SupervisorError/restarting(_:)``,
    ///   ``SupervisorError/notFound(child:supervisor:)``, ``SupervisorError/unavailable(_:)``.
    public func deleteChild(_ name: String) async throws(SupervisorError) {
        _ = try await request(.deleteChild(name))
    }

    /// Every child, in start order. OTP's `which_children`.
    ///
    /// - Throws: ``SupervisorError/unavailable(_:)``.
    public func whichChildren() async throws(SupervisorError) -> [Child] {
        guard case .children(let children) = try await request(.whichChildren) else { throw .unavailable(path) }
        return children
    }

    /// How many children, running or not, and of which kind. OTP's `count_children`.
    ///
    /// - Throws: ``SupervisorError/unavailable(_:)``.
    public func countChildren() async throws(SupervisorError) -> ChildCounts {
        let children = try await whichChildren()
        let supervisors = children.count(where: { $0.kind == .supervisor })
        return ChildCounts(
            specs: children.count,
            active: children.count(where: { $0.status == .running }),
            supervisors: supervisors,
            workers: children.count - supervisors
        )
    }

    /// Sends `kind` to the supervisor at ``path`` and waits for its answer. Requests travel
    /// on the supervisor's system lane, so only its own task ever changes its children.
    private func request(_ kind: SupervisorCommand.Kind) async throws(SupervisorError) -> SupervisorCommand.Answer {
        guard let cell = system.cell(at: path), cell.isSupervisor else { throw .unavailable(path) }
        let completion = Completion<SupervisorCommand.Answer>()
        cell.enqueueSystem(.command(SupervisorCommand(kind: kind, completion: completion)))
        switch await completion.wait() {
        case .success(let answer):
            return answer
        case .failure(let error as SupervisorError):
            throw error
        case .failure:
            // The supervisor stopped for good before it handled the request.
            throw .unavailable(path)
        }
    }
}
