extension BackendSchema {
    /// Writes an operator's progression tree into the catalog tables (`progression_nodes`,
    /// `progression_prerequisites`, `progression_levels`), in one transaction, so that the
    /// tree may change between runs.
    ///
    /// - Every node of the tree is inserted or updated: its title, and `sort_order` = its
    ///   position in ``ProgressionCatalog/nodes`` (from 0).
    /// - Prerequisites are replaced by the tree's.
    /// - Every level is inserted or its cost updated (levels 1...n from each node's costs).
    /// - A level or node no longer in the tree is deleted only when nothing references it:
    ///   a level with an unlock, progress, ledger points or that is the current target stays;
    ///   a node with such a level, or that is a voting candidate or winner, stays (and sorts
    ///   after the tree's nodes). Nodes and levels already unlocked stay unlocked; a row that
    ///   stays never makes the sync fail. The report lists what was removed and kept.
    ///
    /// Idempotent: syncing the same tree again changes nothing. Bounded by the tree and the
    /// existing catalog: one statement per node, level and prerequisite, two whole-table
    /// reads of the (small) catalog. The connection must not be in a transaction.
    ///
    /// - Throws: ``DatabaseError``: `other` for a tree that ``ProgressionCatalog/validate()``
    ///   refuses (nothing written), or any failure of the database (rolled back).
    @discardableResult
    public static func syncCatalog(_ catalog: ProgressionCatalog, on connection: any DatabaseConnection) throws(DatabaseError) -> CatalogSyncReport {
        try catalog.validate()
        return try connection.transaction { () throws(DatabaseError) -> CatalogSyncReport in
            // What is there now, in sort order (kept nodes keep their relative order).
            let existingNodes = try connection.query(CatalogSQL.loadNodes).map { row throws(DatabaseError) in try row.decode(String.self, at: 0) }
            let existingLevels = try connection.query(CatalogSQL.loadLevels).map { row throws(DatabaseError) in
                CatalogSyncReport.Level(nodeID: try row.decode(String.self, at: 0), level: try row.decode(Int.self, at: 1))
            }

            var wanted: Set<CatalogSyncReport.Level> = []
            for (position, node) in catalog.nodes.enumerated() {
                try connection.execute(CatalogSQL.upsertNode, [.text(node.id), .text(node.title), .integer(Int64(position))])
                for (index, cost) in node.costs.enumerated() {
                    try connection.execute(CatalogSQL.upsertLevel, [.text(node.id), .integer(Int64(index + 1)), .integer(cost)])
                    wanted.insert(CatalogSyncReport.Level(nodeID: node.id, level: index + 1))
                }
            }
            // Replaced whole: only the tree's nodes have prerequisites afterwards, so none
            // holds a node that is about to be deleted.
            try connection.execute(CatalogSQL.clearPrerequisites)
            for node in catalog.nodes {
                for required in node.prerequisites {
                    try connection.execute(CatalogSQL.insertPrerequisite, [.text(node.id), .text(required)])
                }
            }

            var removedLevels: [CatalogSyncReport.Level] = []
            var keptLevels: [CatalogSyncReport.Level] = []
            for level in existingLevels where !wanted.contains(level) {
                // Deletes nothing while a row references the level, so it cannot fail on one.
                let deleted = try connection.execute(CatalogSQL.deleteUnreferencedLevel, [.text(level.nodeID), .integer(Int64(level.level))])
                if deleted > 0 { removedLevels.append(level) } else { keptLevels.append(level) }
            }

            let treeIDs = Set(catalog.nodes.map(\.id))
            var removedNodes: [String] = []
            var keptNodes: [String] = []
            for id in existingNodes where !treeIDs.contains(id) {
                // After the levels: a node whose levels all went is free to go.
                let deleted = try connection.execute(CatalogSQL.deleteUnreferencedNode, [.text(id)])
                if deleted > 0 {
                    removedNodes.append(id)
                } else {
                    // After the tree's nodes, in their previous order.
                    try connection.execute(CatalogSQL.moveNode, [.text(id), .integer(Int64(catalog.nodes.count + keptNodes.count))])
                    keptNodes.append(id)
                }
            }
            return CatalogSyncReport(removedNodes: removedNodes, keptNodes: keptNodes, removedLevels: removedLevels, keptLevels: keptLevels)
        }
    }
}
