import TroupeStore

/// The unlock coordinator's storage: rebuilding ``UnlockState`` from the tables at start,
/// and applying its writes inside one group-commit transaction. Runs on a connection's
/// thread (inside the pool or the writer), never on an actor.
enum UnlockStore {
    /// Everything storage knows about progression (read in one connection turn).
    static func load(
        tree: ProgressionTree, votingMillis: Int64, now: Int64, on connection: any DatabaseConnection
    ) throws(DatabaseError) -> (UnlockState, UnlockState.Effects) {
        var unlocked = Set<NodeLevel>()
        for row in try connection.query("SELECT node_id, level, unlocked_at FROM progression_unlocks ORDER BY id", []) {
            if let node = NodeName(try row.decode(String.self, at: 0)) {
                unlocked.insert(NodeLevel(node: node, level: try row.decode(Int.self, at: 1)))
            }
        }
        var target: NodeLevel?
        var banked: Int64 = 0
        var votingID: Int64?
        if let row = try connection.queryFirst("SELECT target_node_id, target_level, banked_points, voting_session_id FROM progression_state WHERE id = 1", []) {
            if let node = try row.decode(String?.self, at: 0).flatMap(NodeName.init), let level = try row.decode(Int?.self, at: 1) {
                target = NodeLevel(node: node, level: level)
            }
            banked = try row.decode(Int64.self, at: 2)
            votingID = try row.decode(Int64?.self, at: 3)
        }
        var voting: UnlockState.Voting?
        if let votingID, let session = try connection.queryFirst("SELECT ends_at FROM voting_sessions WHERE id = $1 AND closed_at IS NULL", [.integer(votingID)]) {
            var candidates: [NodeName] = []
            for row in try connection.query("SELECT node_id FROM voting_candidates WHERE session_id = $1 ORDER BY listed_order", [.integer(votingID)]) {
                if let node = NodeName(try row.decode(String.self, at: 0)) { candidates.append(node) }
            }
            if !candidates.isEmpty {
                var open = UnlockState.Voting(id: votingID, endsAt: try session.decode(Int64.self, at: 0), candidates: candidates)
                for row in try connection.query("SELECT user_id, node_id FROM votes WHERE session_id = $1", [.integer(votingID)]) {
                    if let node = NodeName(try row.decode(String.self, at: 1)) { open.votes[try row.decode(Int64.self, at: 0)] = node }
                }
                voting = open
            }
        }
        var progress: Int64 = 0
        var mine: [Int64: Int64] = [:]
        if voting != nil || target == nil {
            // Voting, or complete: `mine` counts each user's banked points.
            for row in try connection.query("SELECT user_id, SUM(points) FROM engagement_ledger WHERE node_id IS NULL GROUP BY user_id", []) {
                mine[try row.decode(Int64.self, at: 0)] = try row.decode(Int64.self, at: 1)
            }
        } else if let target {
            let parameters: [DatabaseValue] = [.text(target.node.value), .integer(Int64(target.level))]
            progress = try connection.queryFirst("SELECT points FROM progression_progress WHERE node_id = $1 AND level = $2", parameters)?
                .decode(Int64.self, at: 0) ?? 0
            for row in try connection.query("SELECT user_id, SUM(points) FROM engagement_ledger WHERE node_id = $1 AND level = $2 GROUP BY user_id", parameters) {
                mine[try row.decode(Int64.self, at: 0)] = try row.decode(Int64.self, at: 1)
            }
        }
        let nextVotingID = try connection.queryFirst("SELECT COALESCE(MAX(id), 0) FROM voting_sessions", [])?.decode(Int64.self, at: 0) ?? 0
        return UnlockState.restore(
            tree: tree, votingMillis: votingMillis, unlocked: unlocked, target: target, progress: progress, banked: banked,
            voting: voting, mine: mine, nextVotingID: nextVotingID + 1, now: now
        )
    }

    /// Applies `writes` in order, with two savings that change no outcome: progress writes of
    /// one target keep only the last (progress only grows, and the last one precedes the
    /// target's unlock), and ledger rows are inserted many per statement (nothing else in a
    /// batch reads the ledger, except crediting banked rows, before which they are flushed).
    static func apply(_ writes: [UnlockState.Write], on connection: any DatabaseConnection) throws(DatabaseError) {
        var lastProgress: [NodeLevel: Int] = [:]
        for (index, write) in writes.enumerated() {
            if case .progress(let target, _, _) = write { lastProgress[target] = index }
        }
        var ledger: [DatabaseValue] = []
        for (index, write) in writes.enumerated() {
            if case .creditBanked = write { try insertLedger(&ledger, on: connection) }
            switch write {
            case .ledger(let user, let kind, let points, let target, let at):
                ledger += [
                    .integer(user), .text(kind), .integer(points), target.map { .text($0.node.value) } ?? .null,
                    target.map { .integer(Int64($0.level)) } ?? .null, .integer(at),
                ]
            case .progress(let target, let points, let at):
                guard lastProgress[target] == index else { continue }
                try connection.execute(
                    """
                    INSERT INTO progression_progress (node_id, level, points, updated_at) VALUES ($1, $2, $3, $4) \
                    ON CONFLICT (node_id, level) DO UPDATE SET points = excluded.points, updated_at = excluded.updated_at
                    """,
                    [.text(target.node.value), .integer(Int64(target.level)), .integer(points), .integer(at)]
                )
            case .unlock(let target, let at):
                try connection.execute(
                    "INSERT INTO progression_unlocks (node_id, level, unlocked_at) VALUES ($1, $2, $3)",
                    [.text(target.node.value), .integer(Int64(target.level)), .integer(at)]
                )
            case .openVoting(let id, let openedAt, let endsAt, let candidates):
                try connection.execute(
                    "INSERT INTO voting_sessions (id, opened_at, ends_at) VALUES ($1, $2, $3)", [.integer(id), .integer(openedAt), .integer(endsAt)]
                )
                for (order, node) in candidates.enumerated() {
                    try connection.execute(
                        "INSERT INTO voting_candidates (session_id, node_id, listed_order) VALUES ($1, $2, $3)",
                        [.integer(id), .text(node.value), .integer(Int64(order))]
                    )
                }
            case .vote(let session, let user, let node, let at):
                try connection.execute(
                    """
                    INSERT INTO votes (session_id, user_id, node_id, voted_at) VALUES ($1, $2, $3, $4) \
                    ON CONFLICT (session_id, user_id) DO UPDATE SET node_id = excluded.node_id, voted_at = excluded.voted_at
                    """,
                    [.integer(session), .integer(user), .text(node.value), .integer(at)]
                )
            case .closeVoting(let id, let at, let winner):
                try connection.execute(
                    "UPDATE voting_sessions SET closed_at = $2, winner_node_id = $3 WHERE id = $1", [.integer(id), .integer(at), .text(winner.value)]
                )
            case .creditBanked(let target):
                try connection.execute(
                    "UPDATE engagement_ledger SET node_id = $1, level = $2 WHERE node_id IS NULL", [.text(target.node.value), .integer(Int64(target.level))]
                )
            case .state(let target, let banked, let votingID, let at):
                try connection.execute(
                    "UPDATE progression_state SET target_node_id = $1, target_level = $2, banked_points = $3, voting_session_id = $4, updated_at = $5 WHERE id = 1",
                    [target.map { .text($0.node.value) } ?? .null, target.map { .integer(Int64($0.level)) } ?? .null, .integer(banked),
                     votingID.map { .integer($0) } ?? .null, .integer(at)]
                )
            }
        }
        try insertLedger(&ledger, on: connection)
    }

    /// Ledger rows per multi-row INSERT: a few fixed sizes, so each connection prepares at
    /// most one statement per size.
    static let ledgerChunks = [64, 8, 1]
    static let ledgerColumns = 6
    static let ledgerInserts = Dictionary(uniqueKeysWithValues: ledgerChunks.map { ($0, ledgerInsert(rows: $0)) })

    /// Inserts the ledger rows in `values` (six values a row) and empties it.
    private static func insertLedger(_ values: inout [DatabaseValue], on connection: any DatabaseConnection) throws(DatabaseError) {
        var offset = 0
        let rows = values.count / ledgerColumns
        var left = rows
        for chunk in ledgerChunks {
            while left >= chunk {
                let slice = Array(values[offset..<(offset + chunk * ledgerColumns)])
                try connection.execute(ledgerInserts[chunk] ?? ledgerInsert(rows: chunk), slice)
                offset += chunk * ledgerColumns
                left -= chunk
            }
        }
        values.removeAll(keepingCapacity: true)
    }

    /// `INSERT INTO engagement_ledger … VALUES ($1, …, $6), ($7, …)` for `rows` rows.
    static func ledgerInsert(rows: Int) -> String {
        let tuples = (0..<rows).map { row in
            "(" + (1...ledgerColumns).map { "$\(row * ledgerColumns + $0)" }.joined(separator: ", ") + ")"
        }
        return "INSERT INTO engagement_ledger (user_id, kind, points, node_id, level, created_at) VALUES " + tuples.joined(separator: ", ")
    }
}
