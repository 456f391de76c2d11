/// An operator's progression tree as plain data, for ``BackendSchema/syncCatalog(_:on:)``:
/// the storage layer knows nothing of the backend's own tree types.
///
/// Nodes are listed in display order (a node's position becomes its `sort_order`); a node's
/// levels are numbered 1, 2, 3... in the order of its costs.
public struct ProgressionCatalog: Sendable, Hashable {
    /// One node of the tree.
    public struct Node: Sendable, Hashable {
        /// The node's id (`progression_nodes.id`), unique in the tree.
        public let id: String
        /// What players see.
        public let title: String
        /// Ids of the nodes that must be unlocked first; each a node of the same tree, not
        /// this one, listed once.
        public let prerequisites: [String]
        /// The points each level costs, level 1 first; every cost above zero.
        public let costs: [Int64]

        /// A node with its prerequisites and level costs.
        public init(id: String, title: String, prerequisites: [String] = [], costs: [Int64]) {
            self.id = id
            self.title = title
            self.prerequisites = prerequisites
            self.costs = costs
        }
    }

    /// The nodes, in display order.
    public let nodes: [Node]

    /// A tree of `nodes`, in display order. Checked when synced, not here.
    public init(nodes: [Node]) {
        self.nodes = nodes
    }

    /// Checks what the catalog tables would refuse: a duplicate node id, a prerequisite that
    /// is unknown, the node itself or listed twice, a cost not above zero. (Cycles and
    /// reachability are the backend's rules, not the schema's.)
    ///
    /// - Throws: ``DatabaseError`` (`other`) naming the first problem.
    public func validate() throws(DatabaseError) {
        if let problem = firstProblem() {
            throw DatabaseError(.other, reason: "invalid progression tree: \(problem)", remedy: "Fix the tree: nothing was written to the catalog.")
        }
    }

    private func firstProblem() -> String? {
        var ids: Set<String> = []
        for node in nodes where !ids.insert(node.id).inserted {
            return "node \"\(node.id)\" is listed twice"
        }
        for node in nodes {
            var seen: Set<String> = []
            for required in node.prerequisites {
                if required == node.id { return "node \"\(node.id)\" requires itself" }
                if !ids.contains(required) { return "node \"\(node.id)\" requires \"\(required)\", which is not in the tree" }
                if !seen.insert(required).inserted { return "node \"\(node.id)\" lists prerequisite \"\(required)\" twice" }
            }
            for (index, cost) in node.costs.enumerated() where cost <= 0 {
                return "level \(index + 1) of node \"\(node.id)\" costs \(cost); every cost must be above zero"
            }
        }
        return nil
    }
}
