/// The statements of ``BackendSchema/syncCatalog(_:on:)``, shared with
/// ``BackendSchema/plannedQueries`` so that the planner test checks exactly what runs.
enum CatalogSQL {
    static let loadNodes = "SELECT id, title FROM progression_nodes ORDER BY sort_order, id"
    static let loadLevels = "SELECT node_id, level, cost FROM progression_levels ORDER BY node_id, level"
    static let upsertNode =
        "INSERT INTO progression_nodes (id, title, sort_order) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET title = excluded.title, sort_order = excluded.sort_order"
    static let upsertLevel =
        "INSERT INTO progression_levels (node_id, level, cost) VALUES ($1, $2, $3) ON CONFLICT (node_id, level) DO UPDATE SET cost = excluded.cost"
    static let clearPrerequisites = "DELETE FROM progression_prerequisites"
    static let insertPrerequisite = "INSERT INTO progression_prerequisites (node_id, requires_node_id) VALUES ($1, $2)"
    /// Every row that references a level by foreign key: unlocks, progress, the ledger, the
    /// state's target. Each lookup is served by an index (see ``BackendSchema/plannedQueries``).
    static let deleteUnreferencedLevel = """
        DELETE FROM progression_levels WHERE node_id = $1 AND level = $2 \
        AND NOT EXISTS (SELECT 1 FROM progression_unlocks u WHERE u.node_id = $1 AND u.level = $2) \
        AND NOT EXISTS (SELECT 1 FROM progression_progress p WHERE p.node_id = $1 AND p.level = $2) \
        AND NOT EXISTS (SELECT 1 FROM engagement_ledger e WHERE e.node_id = $1 AND e.level = $2) \
        AND NOT EXISTS (SELECT 1 FROM progression_state s WHERE s.id = 1 AND s.target_node_id = $1 AND s.target_level = $2)
        """
    /// Every row that references a node by foreign key once its prerequisites are gone: its
    /// levels, voting candidates (and through them votes), voting winners.
    static let deleteUnreferencedNode = """
        DELETE FROM progression_nodes WHERE id = $1 \
        AND NOT EXISTS (SELECT 1 FROM progression_levels l WHERE l.node_id = $1) \
        AND NOT EXISTS (SELECT 1 FROM voting_candidates c WHERE c.node_id = $1) \
        AND NOT EXISTS (SELECT 1 FROM voting_sessions v WHERE v.winner_node_id = $1)
        """
    static let moveNode = "UPDATE progression_nodes SET sort_order = $2 WHERE id = $1"
}
