/// A supervisor: its strategy, how much failure it tolerates, and its children in start
/// order. Children start left to right, each only after the previous one started, and
/// stop right to left.
public struct SupervisorSpec: Sendable {
    /// Which children restart when one ends (default ``RestartStrategy/oneForOne``).
    public let strategy: RestartStrategy
    /// How many restarts it tolerates before it fails to its parent (default 3 within 5 s).
    public let intensity: RestartIntensity
    /// Delay before restarts; nil restarts at once.
    public let backoff: Backoff?
    /// The children in start order; no two share a name.
    public let children: [ChildSpec]

    /// - Throws: ``ConfigurationError/duplicateChildName(_:)`` if two children share a name.
    public init(
        strategy: RestartStrategy = .oneForOne,
        intensity: RestartIntensity = .default,
        backoff: Backoff? = nil,
        children: [ChildSpec]
    ) throws(ConfigurationError) {
        var seen = Set<String>()
        for child in children where !seen.insert(child.name).inserted {
            throw .duplicateChildName(child.name)
        }
        self.strategy = strategy
        self.intensity = intensity
        self.backoff = backoff
        self.children = children
    }

    /// How the supervision of this spec's children behaves.
    var policy: SupervisionPolicy {
        SupervisionPolicy(strategy: strategy, intensity: intensity, backoff: backoff)
    }
}

/// The supervision rules a cell applies to its children.
@usableFromInline
struct SupervisionPolicy: Sendable {
    let strategy: RestartStrategy
    let intensity: RestartIntensity
    let backoff: Backoff?
    /// Whether a permanent or transient child that ended for good stays among the children
    /// (stopped): true for a supervisor, as OTP keeps such a child's spec; false for an
    /// ordinary actor's spawned children, which leave as a `simple_one_for_one`
    /// supervisor's do. A temporary child leaves either way.
    let keepsEndedChildren: Bool

    init(strategy: RestartStrategy, intensity: RestartIntensity, backoff: Backoff?, keepsEndedChildren: Bool = true) {
        self.strategy = strategy
        self.intensity = intensity
        self.backoff = backoff
        self.keepsEndedChildren = keepsEndedChildren
    }

    /// For the children an ordinary actor spawns: one for one, default intensity; a child
    /// that ends for good leaves.
    @usableFromInline
    static let forSpawnedChildren = SupervisionPolicy(
        strategy: .oneForOne, intensity: .default, backoff: nil, keepsEndedChildren: false
    )
}
