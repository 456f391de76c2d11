extension BackendSchema {
    /// Every query the backend makes that reads, updates or deletes rows, with the index
    /// that serves it. Plain INSERTs are left out: they need no index to find rows (their
    /// unique indexes are listed with the schema).
    ///
    /// | purpose                          | served by                                      |
    /// | -------------------------------- | ---------------------------------------------- |
    /// | LOGIN/AUTH/REGISTER/DM lookup    | users_name_key                                 |
    /// | user by id                       | users primary key                              |
    /// | RESUME                           | auth_sessions_token_hash_key, users primary key|
    /// | LOGOUT                           | auth_sessions_token_hash_key                   |
    /// | revoke a user's sessions         | auth_sessions_user_id_idx                      |
    /// | purge expired sessions           | auth_sessions_expires_at_idx                   |
    /// | HISTORY                          | room_messages_room_id_idx                      |
    /// | DMS                              | direct_messages_conversation_idx               |
    /// | load weights (cache)             | whole table (small, read once per TTL)         |
    /// | WEIGHT                           | engagement_weights primary key (upsert)        |
    /// | PROGRESS `mine`, recovery, banked| engagement_ledger_target_user_idx              |
    /// | tree, prerequisites, levels      | whole tables (small, read at start)            |
    /// | progress write/read              | progression_progress primary key               |
    /// | progression state                | progression_state primary key                  |
    /// | UNLOCKS                          | progression_unlocks primary key (whole table)  |
    /// | open voting session at start     | voting_sessions_open_idx (partial)             |
    /// | candidates                       | voting_candidates_session_id_listed_order_key  |
    /// | VOTE                             | votes primary key (upsert)                     |
    /// | tally                            | votes_session_id_node_id_idx                   |
    /// | close voting                     | voting_sessions primary key                    |
    /// | sync: catalog nodes              | whole table (small, once per start)            |
    /// | sync: upsert node / move kept    | progression_nodes primary key                  |
    /// | sync: upsert level               | progression_levels primary key                 |
    /// | sync: clear prerequisites        | whole table (small, replaced at start)         |
    /// | sync: delete unreferenced level  | progression_levels, progression_unlocks_node_id_level_key, progression_progress primary key, engagement_ledger_target_user_idx, progression_state primary key; SQLite's foreign-key check: progression_state_target_idx |
    /// | sync: delete unreferenced node   | progression_nodes and progression_levels primary keys, voting_candidates_node_id_idx, voting_sessions_winner_node_id_idx; SQLite's foreign-key check: progression_prerequisites_requires_node_id_idx |
    public static let plannedQueries: [SchemaQuery] = [
        SchemaQuery("user by name", "SELECT id, password_hash, is_admin FROM users WHERE name = $1", ["alice"]),
        SchemaQuery("user by id", "SELECT name, is_admin FROM users WHERE id = $1", [1]),
        SchemaQuery(
            "RESUME", "SELECT s.user_id, u.name FROM auth_sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2",
            [.blob([1, 2, 3]), 0]
        ),
        SchemaQuery("LOGOUT", "DELETE FROM auth_sessions WHERE token_hash = $1", [.blob([1, 2, 3])]),
        SchemaQuery("revoke a user's sessions", "DELETE FROM auth_sessions WHERE user_id = $1", [1]),
        SchemaQuery("purge expired sessions", "DELETE FROM auth_sessions WHERE expires_at <= $1", [0]),
        SchemaQuery(
            "HISTORY",
            "SELECT m.id, m.room, u.name, m.body, m.created_at FROM room_messages m JOIN users u ON u.id = m.user_id WHERE m.room = $1 ORDER BY m.id DESC LIMIT $2",
            ["lobby", 50]
        ),
        SchemaQuery(
            "DMS",
            """
            SELECT d.id, s.name, r.name, d.body, d.created_at FROM direct_messages d \
            JOIN users s ON s.id = d.sender_id JOIN users r ON r.id = d.recipient_id \
            WHERE d.user_low = $1 AND d.user_high = $2 ORDER BY d.id DESC LIMIT $3
            """,
            [1, 2, 50]
        ),
        SchemaQuery("load weights", "SELECT kind, points FROM engagement_weights", readsWholeTable: true),
        SchemaQuery(
            "WEIGHT",
            "INSERT INTO engagement_weights (kind, points, updated_at) VALUES ($1, $2, $3) ON CONFLICT (kind) DO UPDATE SET points = excluded.points, updated_at = excluded.updated_at",
            ["message", 1, 0]
        ),
        SchemaQuery(
            "PROGRESS mine", "SELECT COALESCE(SUM(points), 0) FROM engagement_ledger WHERE node_id = $1 AND level = $2 AND user_id = $3", ["forge", 1, 1]
        ),
        SchemaQuery(
            "recover points per user", "SELECT user_id, SUM(points) FROM engagement_ledger WHERE node_id = $1 AND level = $2 GROUP BY user_id", ["forge", 1]
        ),
        SchemaQuery("banked points per user", "SELECT user_id, SUM(points) FROM engagement_ledger WHERE node_id IS NULL GROUP BY user_id"),
        SchemaQuery("credit banked points", "UPDATE engagement_ledger SET node_id = $1, level = $2 WHERE node_id IS NULL", ["forge", 1]),
        SchemaQuery("load tree", "SELECT id, title FROM progression_nodes ORDER BY sort_order", readsWholeTable: true),
        SchemaQuery("load prerequisites", "SELECT node_id, requires_node_id FROM progression_prerequisites", readsWholeTable: true),
        SchemaQuery("load levels", "SELECT node_id, level, cost FROM progression_levels ORDER BY node_id, level", readsWholeTable: true),
        SchemaQuery(
            "write progress",
            "INSERT INTO progression_progress (node_id, level, points, updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (node_id, level) DO UPDATE SET points = excluded.points, updated_at = excluded.updated_at",
            ["forge", 1, 10, 0]
        ),
        SchemaQuery("read progress", "SELECT points FROM progression_progress WHERE node_id = $1 AND level = $2", ["forge", 1]),
        SchemaQuery("read state", "SELECT target_node_id, target_level, banked_points, voting_session_id FROM progression_state WHERE id = 1"),
        SchemaQuery(
            "write state", "UPDATE progression_state SET target_node_id = $1, target_level = $2, banked_points = $3, voting_session_id = $4, updated_at = $5 WHERE id = 1",
            ["forge", 1, 0, .null, 0]
        ),
        SchemaQuery("UNLOCKS", "SELECT node_id, level, unlocked_at FROM progression_unlocks ORDER BY id", readsWholeTable: true),
        SchemaQuery("open voting session", "SELECT id, opened_at, ends_at FROM voting_sessions WHERE closed_at IS NULL"),
        SchemaQuery("candidates", "SELECT node_id FROM voting_candidates WHERE session_id = $1 ORDER BY listed_order", [1]),
        SchemaQuery(
            "VOTE",
            "INSERT INTO votes (session_id, user_id, node_id, voted_at) VALUES ($1, $2, $3, $4) ON CONFLICT (session_id, user_id) DO UPDATE SET node_id = excluded.node_id, voted_at = excluded.voted_at",
            [1, 1, "forge", 0]
        ),
        SchemaQuery("tally", "SELECT node_id, COUNT(*) FROM votes WHERE session_id = $1 GROUP BY node_id", [1]),
        SchemaQuery("close voting", "UPDATE voting_sessions SET closed_at = $2, winner_node_id = $3 WHERE id = $1", [1, 0, "forge"]),
        // BackendSchema.syncCatalog, at start (the same statements it runs).
        SchemaQuery("sync: catalog nodes", CatalogSQL.loadNodes, readsWholeTable: true),
        SchemaQuery("sync: upsert node", CatalogSQL.upsertNode, ["forge", "Forge", 0]),
        SchemaQuery("sync: move a kept node after the tree", CatalogSQL.moveNode, ["forge", 3]),
        SchemaQuery("sync: upsert level", CatalogSQL.upsertLevel, ["forge", 1, 10]),
        SchemaQuery("sync: clear prerequisites", CatalogSQL.clearPrerequisites, readsWholeTable: true),
        SchemaQuery("sync: delete an unreferenced level", CatalogSQL.deleteUnreferencedLevel, ["forge", 1]),
        SchemaQuery("sync: delete an unreferenced node", CatalogSQL.deleteUnreferencedNode, ["forge"]),
    ]
}
