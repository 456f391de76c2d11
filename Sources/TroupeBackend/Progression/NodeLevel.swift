/// One level of one node of a ``ProgressionTree``: the unit that is targeted, costed and
/// unlocked (PROTOCOL.md, "Engagement and progression"). Levels count from 1.
///
/// A value type with no invariant of its own: a `NodeLevel` may name a node or level the
/// current tree lacks (the operator may change the tree between runs, and what was unlocked
/// stays unlocked), so every query of ``ProgressionTree`` treats such values as absent.
public struct NodeLevel: Sendable, Hashable {
    /// The node.
    public let node: NodeName
    /// The level, from 1.
    public let level: Int

    /// Level `level` of `node`.
    public init(node: NodeName, level: Int) {
        self.node = node
        self.level = level
    }
}
