/// The schema of the whole backend (see PROTOCOL.md), as migrations.
///
/// Conventions, the same in both dialects:
/// - Every point in time is `BIGINT` milliseconds since the Unix epoch (what the protocol
///   replies with); ids are 64-bit and database-assigned (``SQLDialect/identityPrimaryKey``).
/// - Message bodies are bytes (``SQLDialect/bytesType``): protocol arguments are binary-safe,
///   and PostgreSQL's `TEXT` would refuse invalid UTF-8 or a NUL byte. Names (users, rooms,
///   nodes, kinds) are validated ASCII, so `TEXT`.
/// - Every uniqueness is a named `CREATE UNIQUE INDEX` (or a primary key), so both drivers
///   report the same constraint name in a unique violation (PostgreSQL's naming:
///   `<table>_<columns>_key`, `<table>_pkey`).
/// - `BOOLEAN` works in both (SQLite stores 0/1 and reads `TRUE`/`FALSE` as 1/0).
///
/// Every query the backend makes, and the index that serves it, is listed in
/// ``plannedQueries``; a test checks each against both databases' query planners.
public enum BackendSchema {
    /// The backend's migrations, oldest first.
    public static let migrations: [Migration] = [
        Migration(version: 1, name: "initial schema", statements: initialSchema),
        Migration(version: 2, name: "progression state seed and tree changes", statements: progressionStateSeedAndTreeChanges),
    ]

    /// Version 2: the one `progression_state` row exists from the start (the backend only
    /// ever updates it), and an operator's tree may change between runs
    /// (``syncCatalog(_:on:)``):
    /// - the UNIQUE index on `progression_nodes.sort_order` goes: renumbering a reordered
    ///   tree row by row passes through duplicate positions. No query needs a replacement:
    ///   only the whole-table "load tree" orders by it;
    /// - plain indexes on the columns that reference a node or level and had none (voting
    ///   candidates, voting winners, prerequisites' required node, the state's target): the
    ///   sync's "is it still referenced?" checks look rows up by them, and so does SQLite's
    ///   own foreign-key check when a node or level is deleted (without an index it scans
    ///   the referencing table).
    private static func progressionStateSeedAndTreeChanges(_ dialect: SQLDialect) -> [String] {
        [
            // Absent in every database at version 1 unless something inserted it: keep one
            // that exists rather than fail or overwrite it.
            """
            INSERT INTO progression_state (id, target_node_id, target_level, banked_points, voting_session_id, updated_at) \
            VALUES (1, NULL, NULL, 0, NULL, 0) ON CONFLICT (id) DO NOTHING
            """,
            "DROP INDEX progression_nodes_sort_order_key",
            "CREATE INDEX voting_candidates_node_id_idx ON voting_candidates (node_id)",
            "CREATE INDEX voting_sessions_winner_node_id_idx ON voting_sessions (winner_node_id)",
            "CREATE INDEX progression_prerequisites_requires_node_id_idx ON progression_prerequisites (requires_node_id)",
            "CREATE INDEX progression_state_target_idx ON progression_state (target_node_id, target_level)",
        ]
    }

    private static func initialSchema(_ dialect: SQLDialect) -> [String] {
        let id = dialect.identityPrimaryKey
        let bytes = dialect.bytesType
        return [
            // Accounts. password_hash is crypt(3) output (yescrypt); names are lower-cased
            // by the protocol layer before they get here.
            """
            CREATE TABLE users (
                id \(id),
                name TEXT NOT NULL,
                password_hash TEXT NOT NULL,
                is_admin BOOLEAN NOT NULL DEFAULT FALSE,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE UNIQUE INDEX users_name_key ON users (name)",

            // Login tokens: only a hash of the token is stored (a leaked table does not leak
            // sessions). Revoking deletes the row.
            """
            CREATE TABLE auth_sessions (
                id \(id),
                token_hash \(bytes) NOT NULL,
                user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                CHECK (expires_at > created_at)
            )
            """,
            "CREATE UNIQUE INDEX auth_sessions_token_hash_key ON auth_sessions (token_hash)",
            "CREATE INDEX auth_sessions_user_id_idx ON auth_sessions (user_id)",
            "CREATE INDEX auth_sessions_expires_at_idx ON auth_sessions (expires_at)",

            // Room messages: ids increase in commit order within a room because one room
            // actor writes a room's messages, in order.
            """
            CREATE TABLE room_messages (
                id \(id),
                room TEXT NOT NULL,
                user_id BIGINT NOT NULL REFERENCES users (id),
                body \(bytes) NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX room_messages_room_id_idx ON room_messages (room, id)",

            // Direct messages. (user_low, user_high) is the conversation, whichever way a
            // message went, so one index range serves DMS in both directions.
            """
            CREATE TABLE direct_messages (
                id \(id),
                sender_id BIGINT NOT NULL REFERENCES users (id),
                recipient_id BIGINT NOT NULL REFERENCES users (id),
                user_low BIGINT NOT NULL,
                user_high BIGINT NOT NULL,
                body \(bytes) NOT NULL,
                created_at BIGINT NOT NULL,
                CHECK (user_low <= user_high),
                CHECK ((user_low = sender_id AND user_high = recipient_id) OR (user_low = recipient_id AND user_high = sender_id))
            )
            """,
            "CREATE INDEX direct_messages_conversation_idx ON direct_messages (user_low, user_high, id)",

            // Engagement: admin-set weights per kind (unknown kinds weigh 0), and a ledger of
            // every credit. node_id/level name the target credited; both NULL while the
            // points are banked during voting.
            """
            CREATE TABLE engagement_weights (
                kind TEXT PRIMARY KEY,
                points BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,

            // The progression tree (seeded by the backend from the default or operator tree).
            """
            CREATE TABLE progression_nodes (
                id TEXT PRIMARY KEY,
                title TEXT NOT NULL,
                sort_order INTEGER NOT NULL
            )
            """,
            "CREATE UNIQUE INDEX progression_nodes_sort_order_key ON progression_nodes (sort_order)",
            """
            CREATE TABLE progression_prerequisites (
                node_id TEXT NOT NULL REFERENCES progression_nodes (id),
                requires_node_id TEXT NOT NULL REFERENCES progression_nodes (id),
                PRIMARY KEY (node_id, requires_node_id),
                CHECK (node_id <> requires_node_id)
            )
            """,
            """
            CREATE TABLE progression_levels (
                node_id TEXT NOT NULL REFERENCES progression_nodes (id),
                level INTEGER NOT NULL CHECK (level >= 1),
                cost BIGINT NOT NULL CHECK (cost > 0),
                PRIMARY KEY (node_id, level)
            )
            """,
            // Points earned per target; the unlock coordinator holds the active one in memory
            // and writes it through, so the database is written, not re-read.
            """
            CREATE TABLE progression_progress (
                node_id TEXT NOT NULL,
                level INTEGER NOT NULL,
                points BIGINT NOT NULL CHECK (points >= 0),
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (node_id, level),
                FOREIGN KEY (node_id, level) REFERENCES progression_levels (node_id, level)
            )
            """,
            // The last guard against a duplicate unlock: UNIQUE(node_id, level).
            """
            CREATE TABLE progression_unlocks (
                id \(id),
                node_id TEXT NOT NULL,
                level INTEGER NOT NULL,
                unlocked_at BIGINT NOT NULL,
                FOREIGN KEY (node_id, level) REFERENCES progression_levels (node_id, level)
            )
            """,
            "CREATE UNIQUE INDEX progression_unlocks_node_id_level_key ON progression_unlocks (node_id, level)",
            """
            CREATE TABLE engagement_ledger (
                id \(id),
                user_id BIGINT NOT NULL REFERENCES users (id),
                kind TEXT NOT NULL,
                points BIGINT NOT NULL,
                node_id TEXT,
                level INTEGER,
                created_at BIGINT NOT NULL,
                CHECK ((node_id IS NULL) = (level IS NULL)),
                FOREIGN KEY (node_id, level) REFERENCES progression_levels (node_id, level)
            )
            """,
            "CREATE INDEX engagement_ledger_target_user_idx ON engagement_ledger (node_id, level, user_id)",

            // Voting: a session per unlock, its candidates in the order the `voting` push lists
            // them (ties go to the first), and one vote per user per session (a second vote
            // replaces the first: an upsert on the primary key).
            """
            CREATE TABLE voting_sessions (
                id \(id),
                opened_at BIGINT NOT NULL,
                ends_at BIGINT NOT NULL,
                closed_at BIGINT,
                winner_node_id TEXT REFERENCES progression_nodes (id),
                CHECK (ends_at >= opened_at)
            )
            """,
            "CREATE INDEX voting_sessions_open_idx ON voting_sessions (id) WHERE closed_at IS NULL",
            """
            CREATE TABLE voting_candidates (
                session_id BIGINT NOT NULL REFERENCES voting_sessions (id),
                node_id TEXT NOT NULL REFERENCES progression_nodes (id),
                listed_order INTEGER NOT NULL,
                PRIMARY KEY (session_id, node_id)
            )
            """,
            "CREATE UNIQUE INDEX voting_candidates_session_id_listed_order_key ON voting_candidates (session_id, listed_order)",
            """
            CREATE TABLE votes (
                session_id BIGINT NOT NULL,
                user_id BIGINT NOT NULL REFERENCES users (id),
                node_id TEXT NOT NULL,
                voted_at BIGINT NOT NULL,
                PRIMARY KEY (session_id, user_id),
                FOREIGN KEY (session_id, node_id) REFERENCES voting_candidates (session_id, node_id)
            )
            """,
            "CREATE INDEX votes_session_id_node_id_idx ON votes (session_id, node_id)",

            // Where progression stands, one row (id = 1): the active target, or NULL during
            // voting and when all is unlocked; the points banked meanwhile; the open vote.
            """
            CREATE TABLE progression_state (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                target_node_id TEXT,
                target_level INTEGER,
                banked_points BIGINT NOT NULL DEFAULT 0,
                voting_session_id BIGINT REFERENCES voting_sessions (id),
                updated_at BIGINT NOT NULL,
                CHECK ((target_node_id IS NULL) = (target_level IS NULL)),
                FOREIGN KEY (target_node_id, target_level) REFERENCES progression_levels (node_id, level)
            )
            """,
        ]
    }
}
