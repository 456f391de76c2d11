/// One child of a supervisor, as a value: its name, how to make it, when it restarts and
/// how it stops.
///
/// ```swift
/// let counter = try ChildSpec.actor("counter", mailbox: .init(capacity: 100)) { Counter() }
/// let services = try ChildSpec.supervisor("services", SupervisorSpec(strategy: .oneForAll, children: [counter]))
/// ```
public struct ChildSpec: Sendable {
    /// The child's name among its siblings (the last component of its path).
    public let name: String
    /// Whether its supervisor starts it again after an incarnation ends.
    public let restart: RestartType
    /// How its supervisor stops it: gracefully, then cancelled once the policy's timeout passes.
    public let shutdown: ShutdownPolicy
    @usableFromInline let kind: Kind

    @usableFromInline
    enum Kind: Sendable {
        /// Makes the cell of an ordinary actor (under `parent`, at `path`).
        case actor(@Sendable (_ system: ActorSystem, _ parent: CellBase, _ path: ActorPath, _ spec: ChildSpec) -> CellBase)
        case supervisor(SupervisorSpec)
    }

    @usableFromInline
    init(name: String, restart: RestartType, shutdown: ShutdownPolicy, kind: Kind) throws(ConfigurationError) {
        try ActorPath.validate(name)
        self.name = name
        self.restart = restart
        self.shutdown = shutdown
        self.kind = kind
    }

    /// An ordinary actor whose incarnations are made by `factory`.
    ///
    /// - Parameters:
    ///   - mailbox: capacity and overflow policy (required: there is no unbounded mailbox).
    ///   - restart: when it is restarted; OTP's default, permanent.
    ///   - shutdown: how long a graceful stop may take before cancellation.
    ///   - factory: makes fresh state for each incarnation. Throwing fails the start.
    /// - Throws: ``ConfigurationError/invalidName(_:)`` for a bad name.
    @inlinable
    public static func actor<B: Behavior>(
        _ name: String,
        mailbox: MailboxConfiguration,
        restart: RestartType = .permanent,
        shutdown: ShutdownPolicy = .defaultForActors,
        _ factory: @escaping @Sendable () throws -> B
    ) throws(ConfigurationError) -> ChildSpec {
        try ChildSpec(name: name, restart: restart, shutdown: shutdown, kind: .actor { system, parent, path, spec in
            BehaviorCell<B>(
                path: path, system: system, parent: parent, restart: spec.restart, shutdown: spec.shutdown,
                mailbox: mailbox, factory: factory
            )
        })
    }

    /// A supervisor with its own children.
    public static func supervisor(
        _ name: String,
        _ spec: SupervisorSpec,
        restart: RestartType = .permanent,
        shutdown: ShutdownPolicy = .unbounded
    ) throws(ConfigurationError) -> ChildSpec {
        try ChildSpec(name: name, restart: restart, shutdown: shutdown, kind: .supervisor(spec))
    }

    /// Makes the cell for this spec under `parent`, with cells for a supervisor's children.
    func makeCell(system: ActorSystem, parent: CellBase) -> CellBase {
        let path = parent.path.appending(name)
        switch kind {
        case .actor(let make):
            return make(system, parent, path, self)
        case .supervisor(let supervisorSpec):
            return BehaviorCell<SupervisorBehavior>.supervisor(
                path: path, system: system, parent: parent, spec: self, supervisorSpec: supervisorSpec
            )
        }
    }
}

/// The behavior of a supervisor: it takes no user messages; all it does is supervise.
struct SupervisorBehavior: Behavior {
    typealias Message = Never

    func receive(_ message: Never, context: ActorContext<Never>) async throws {}
}
