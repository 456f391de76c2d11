/// The progression tree of PROTOCOL.md ("Engagement and progression"): the nodes the
/// community unlocks, each with one or more levels, each level with a cost in points, and
/// prerequisites between nodes. A pure, immutable value: it says what may be targeted next
/// given what is unlocked; it holds no progress and does no I/O.
///
/// Invariants, checked by ``init(nodes:)`` (and so by ``parse(_:)``):
/// - 1 to ``maxNodes`` nodes, with unique names, kept in the order given (the tree's own
///   order, which decides the first target and the order of candidates);
/// - every node has 1 to ``maxLevels`` levels, each costing 1 to ``maxCost`` points;
/// - every title is 1 to ``maxTitleBytes`` bytes of UTF-8 with no control character;
/// - every prerequisite names another node of the tree, at most once per node and at most
///   ``maxPrerequisites`` per node; at least one node has none; and there is no cycle.
///
/// The default tree is ``standard``; an operator can supply another in the format of
/// ``parse(_:)``.
///
/// # Thread safety
/// A `Sendable` value: share it freely.
public struct ProgressionTree: Sendable, Hashable {
    /// One node: a thing the community builds, level by level.
    public struct Node: Sendable, Hashable {
        /// The node's name, as `VOTE` and the pushes carry it.
        public let name: NodeName
        /// What people see: 1 to ``ProgressionTree/maxTitleBytes`` bytes, no control characters.
        public let title: String
        /// The nodes whose level 1 must be unlocked before this node is a candidate, in the
        /// order given.
        public let prerequisites: [NodeName]
        /// `costs[i]` is the cost in points of level `i + 1`; the count is the node's number of levels.
        public let costs: [Int64]

        /// A node; ``ProgressionTree/init(nodes:)`` checks it.
        public init(name: NodeName, title: String, prerequisites: [NodeName] = [], costs: [Int64]) {
            self.name = name
            self.title = title
            self.prerequisites = prerequisites
            self.costs = costs
        }
    }

    /// Most nodes a tree may have: every candidate of a voting session is listed in one push.
    public static let maxNodes = 1_000
    /// Most levels a node may have.
    public static let maxLevels = 100
    /// Most prerequisites a node may have.
    public static let maxPrerequisites = 32
    /// Largest cost of one level, in points (a trillion: far beyond any real community, far
    /// below `Int64.max`, so sums of progress cannot overflow).
    public static let maxCost: Int64 = 1_000_000_000_000
    /// Most bytes of UTF-8 in a title.
    public static let maxTitleBytes = 200

    /// The nodes in the tree's own order.
    public let nodes: [Node]
    /// Position of each node in ``nodes``; derived from it, so it never makes two equal trees differ.
    private let positions: [NodeName: Int]

    /// A tree of `nodes` in that order, after checking every invariant of the type.
    public init(nodes: [Node]) throws(ProgressionTreeError) {
        try Self.validate(nodes, lines: nil)
        self.init(validated: nodes)
    }

    /// A tree of `nodes` already known to keep every invariant (checked by the caller or by tests).
    init(validated nodes: [Node]) {
        self.nodes = nodes
        var positions = [NodeName: Int](minimumCapacity: nodes.count)
        for (position, node) in nodes.enumerated() { positions[node.name] = position }
        self.positions = positions
    }

    // MARK: - Queries

    /// The node called `name`; nil if the tree has none.
    public func node(named name: NodeName) -> Node? {
        positions[name].map { nodes[$0] }
    }

    /// The cost in points of `nodeLevel`; nil if the tree has no such node or level.
    public func cost(of nodeLevel: NodeLevel) -> Int64? {
        guard let node = node(named: nodeLevel.node), node.costs.indices.contains(nodeLevel.level - 1) else { return nil }
        return node.costs[nodeLevel.level - 1]
    }

    /// The node's next level: its lowest level not in `unlocked`. Nil when every level is
    /// unlocked or the tree has no such node. Entries of `unlocked` for nodes or levels the
    /// tree lacks are ignored.
    public func nextLevel(of name: NodeName, unlocked: Set<NodeLevel>) -> Int? {
        guard let node = node(named: name) else { return nil }
        return (1...node.costs.count).first { !unlocked.contains(NodeLevel(node: name, level: $0)) }
    }

    /// The candidates for the next target, in tree order: the nodes that have a next level
    /// and each of whose prerequisites has at least its level 1 unlocked.
    public func candidates(unlocked: Set<NodeLevel>) -> [NodeName] {
        nodes.compactMap { node in isCandidate(node, unlocked: unlocked) ? node.name : nil }
    }

    /// The target when none is chosen yet: the first candidate in tree order, at its next level;
    /// nil when no candidate is left (progression is complete).
    ///
    /// On a fresh database (nothing unlocked) every candidate is a node without prerequisites
    /// at level 1, so this is PROTOCOL.md's first target: the first node in tree order that has
    /// no prerequisites, at level 1. The same rule also gives a sensible start when the tree
    /// changed between runs and some of it is already unlocked.
    public func initialTarget(unlocked: Set<NodeLevel>) -> NodeLevel? {
        for node in nodes where isCandidate(node, unlocked: unlocked) {
            if let level = nextLevel(of: node.name, unlocked: unlocked) { return NodeLevel(node: node.name, level: level) }
        }
        return nil
    }

    private func isCandidate(_ node: Node, unlocked: Set<NodeLevel>) -> Bool {
        nextLevel(of: node.name, unlocked: unlocked) != nil
            && node.prerequisites.allSatisfy { unlocked.contains(NodeLevel(node: $0, level: 1)) }
    }
}
