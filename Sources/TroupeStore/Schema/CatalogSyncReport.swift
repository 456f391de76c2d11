/// What ``BackendSchema/syncCatalog(_:on:)`` did with the rows of nodes and levels that are
/// no longer in the tree: removed them, or kept them because other rows reference them.
///
/// A kept row is history, not part of the tree: an unlock, points in progress or in the
/// ledger, the current target, a vote's candidate or winner still names it ("nodes and
/// levels already unlocked stay unlocked"). Kept nodes sort after the tree's nodes.
public struct CatalogSyncReport: Sendable, Hashable {
    /// One level of one node.
    public struct Level: Sendable, Hashable, Comparable, CustomStringConvertible {
        /// The node's id.
        public let nodeID: String
        /// The level, from 1.
        public let level: Int

        /// The level `level` of node `nodeID`.
        public init(nodeID: String, level: Int) {
            self.nodeID = nodeID
            self.level = level
        }

        /// By node id, then level.
        public static func < (lhs: Level, rhs: Level) -> Bool {
            (lhs.nodeID, lhs.level) < (rhs.nodeID, rhs.level)
        }

        /// `node:level`.
        public var description: String { "\(nodeID):\(level)" }
    }

    /// Nodes no longer in the tree that were deleted, by id.
    public let removedNodes: [String]
    /// Nodes no longer in the tree that stay because rows reference them, by id.
    public let keptNodes: [String]
    /// Levels no longer in the tree that were deleted, in order.
    public let removedLevels: [Level]
    /// Levels no longer in the tree that stay because rows reference them, in order.
    public let keptLevels: [Level]

    /// A report; every list is sorted.
    public init(removedNodes: [String], keptNodes: [String], removedLevels: [Level], keptLevels: [Level]) {
        self.removedNodes = removedNodes.sorted()
        self.keptNodes = keptNodes.sorted()
        self.removedLevels = removedLevels.sorted()
        self.keptLevels = keptLevels.sorted()
    }
}
