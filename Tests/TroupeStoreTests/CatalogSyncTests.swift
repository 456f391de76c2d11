import Testing
import TroupeStore

/// Migration 2 and ``BackendSchema/syncCatalog(_:on:)`` on both drivers: the state row is
/// seeded once, and an operator's tree can change between runs without losing what was
/// already unlocked.
@Suite("Catalog sync")
struct CatalogSyncTests {
    /// The catalog as the tables hold it, in a form tests compare whole.
    struct Snapshot: Equatable, CustomStringConvertible {
        /// (id, title, sort_order), by sort_order.
        var nodes: [String]
        /// "node>requires", sorted.
        var prerequisites: [String]
        /// "node:level=cost", sorted.
        var levels: [String]

        var description: String { "nodes \(nodes), prerequisites \(prerequisites), levels \(levels)" }
    }

    static func snapshot(_ connection: any DatabaseConnection) throws -> Snapshot {
        let nodes = try connection.query("SELECT id, title, sort_order FROM progression_nodes ORDER BY sort_order").map { row throws(DatabaseError) in
            "\(try row.decode(String.self, at: 0))/\(try row.decode(String.self, at: 1))/\(try row.decode(Int.self, at: 2))"
        }
        let prerequisites = try connection.query("SELECT node_id, requires_node_id FROM progression_prerequisites").map { row throws(DatabaseError) in
            "\(try row.decode(String.self, at: 0))>\(try row.decode(String.self, at: 1))"
        }
        let levels = try connection.query("SELECT node_id, level, cost FROM progression_levels").map { row throws(DatabaseError) in
            "\(try row.decode(String.self, at: 0)):\(try row.decode(Int.self, at: 1))=\(try row.decode(Int64.self, at: 2))"
        }
        return Snapshot(nodes: nodes, prerequisites: prerequisites.sorted(), levels: levels.sorted())
    }

    static let firstTree = ProgressionCatalog(nodes: [
        .init(id: "forge", title: "Forge", costs: [10, 20]),
        .init(id: "library", title: "Library", prerequisites: ["forge"], costs: [5]),
        .init(id: "market", title: "Market", prerequisites: ["forge", "library"], costs: [7, 8]),
        .init(id: "tower", title: "Tower", costs: [3]),
    ])

    /// The first tree with tower removed, a level added to market, forge's first cost
    /// changed, library renamed, market's prerequisites cut and the order changed.
    static let secondTree = ProgressionCatalog(nodes: [
        .init(id: "market", title: "Market", prerequisites: ["forge"], costs: [7, 8, 9]),
        .init(id: "forge", title: "Forge", costs: [12, 20]),
        .init(id: "library", title: "Great Library", prerequisites: ["forge"], costs: [5]),
    ])

    @Test("migration 2 seeds exactly one progression_state row; migrating again changes nothing", arguments: DriverKind.allCases)
    func stateRowSeeded(_ kind: DriverKind) throws {
        try TestDatabase.with(kind) { connection, _ in
            try Migrator.backend.migrate(connection)
            let rows = try connection.query("SELECT id, target_node_id, target_level, banked_points, voting_session_id, updated_at FROM progression_state")
            #expect(rows.count == 1)
            let row = try #require(rows.first)
            #expect(try row.decode(Int.self, at: 0) == 1)
            #expect(try row.decode(String?.self, at: 1) == nil)
            #expect(try row.decode(Int?.self, at: 2) == nil)
            #expect(try row.decode(Int64.self, at: 3) == 0)
            #expect(try row.decode(Int64?.self, at: 4) == nil)
            #expect(try row.decode(Int64.self, at: 5) == 0)
            // The backend's "write state" updates exactly that row.
            #expect(try connection.execute("UPDATE progression_state SET banked_points = $1, updated_at = $2 WHERE id = 1", [5, 9]) == 1)
            #expect(try Migrator.backend.migrate(connection).isNoOp)
            #expect(try connection.queryFirst("SELECT COUNT(*) FROM progression_state")?.decode(Int.self, at: 0) == 1)
            #expect(try connection.queryFirst("SELECT banked_points FROM progression_state WHERE id = 1")?.decode(Int64.self, at: 0) == 5)
        }
    }

    @Test("syncing a tree, then a changed tree, gives exactly the new catalog", arguments: DriverKind.allCases)
    func syncThenChange(_ kind: DriverKind) throws {
        try TestDatabase.with(kind) { connection, _ in
            try Migrator.backend.migrate(connection)
            let first = try BackendSchema.syncCatalog(Self.firstTree, on: connection)
            #expect(first == CatalogSyncReport(removedNodes: [], keptNodes: [], removedLevels: [], keptLevels: []))
            #expect(
                try Self.snapshot(connection)
                    == Snapshot(
                        nodes: ["forge/Forge/0", "library/Library/1", "market/Market/2", "tower/Tower/3"],
                        prerequisites: ["library>forge", "market>forge", "market>library"],
                        levels: ["forge:1=10", "forge:2=20", "library:1=5", "market:1=7", "market:2=8", "tower:1=3"]
                    )
            )

            let second = try BackendSchema.syncCatalog(Self.secondTree, on: connection)
            #expect(second == CatalogSyncReport(removedNodes: ["tower"], keptNodes: [], removedLevels: [.init(nodeID: "tower", level: 1)], keptLevels: []))
            let expected = Snapshot(
                nodes: ["market/Market/0", "forge/Forge/1", "library/Great Library/2"],
                prerequisites: ["library>forge", "market>forge"],
                levels: ["forge:1=12", "forge:2=20", "library:1=5", "market:1=7", "market:2=8", "market:3=9"]
            )
            #expect(try Self.snapshot(connection) == expected)
            #expect(!connection.isInTransaction)

            // Idempotent: the same tree again changes nothing.
            #expect(try BackendSchema.syncCatalog(Self.secondTree, on: connection) == CatalogSyncReport(removedNodes: [], keptNodes: [], removedLevels: [], keptLevels: []))
            #expect(try Self.snapshot(connection) == expected)
        }
    }

    @Test("a removed node with an unlock stays (after the tree); unreferenced levels go", arguments: DriverKind.allCases)
    func unlockedNodeStays(_ kind: DriverKind) throws {
        try TestDatabase.with(kind) { connection, _ in
            try Migrator.backend.migrate(connection)
            try BackendSchema.syncCatalog(
                ProgressionCatalog(nodes: [
                    .init(id: "tower", title: "Tower", costs: [3, 4]),
                    .init(id: "forge", title: "Forge", costs: [10, 20, 30]),
                ]),
                on: connection
            )
            try connection.execute("INSERT INTO progression_unlocks (node_id, level, unlocked_at) VALUES ($1, $2, $3)", ["tower", 1, 100])
            try connection.execute("INSERT INTO progression_progress (node_id, level, points, updated_at) VALUES ($1, $2, $3, $4)", ["forge", 3, 6, 100])

            let report = try BackendSchema.syncCatalog(ProgressionCatalog(nodes: [.init(id: "forge", title: "Forge", costs: [10])]), on: connection)
            #expect(
                report
                    == CatalogSyncReport(
                        removedNodes: [], keptNodes: ["tower"],
                        removedLevels: [.init(nodeID: "forge", level: 2), .init(nodeID: "tower", level: 2)],
                        keptLevels: [.init(nodeID: "forge", level: 3), .init(nodeID: "tower", level: 1)]
                    )
            )
            #expect(
                try Self.snapshot(connection)
                    == Snapshot(nodes: ["forge/Forge/0", "tower/Tower/1"], prerequisites: [], levels: ["forge:1=10", "forge:3=30", "tower:1=3"])
            )
            let unlock = try #require(try connection.queryFirst("SELECT node_id, level, unlocked_at FROM progression_unlocks"))
            #expect(try unlock.decode(String.self, at: 0) == "tower")
            #expect(try unlock.decode(Int64.self, at: 2) == 100)
            #expect(try connection.queryFirst("SELECT points FROM progression_progress WHERE node_id = $1 AND level = $2", ["forge", 3])?.decode(Int64.self, at: 0) == 6)
        }
    }

    @Test("every kind of reference keeps its node; an unreferenced one goes; the sync never fails", arguments: DriverKind.allCases)
    func everyReferenceKeepsItsRow(_ kind: DriverKind) throws {
        try TestDatabase.with(kind) { connection, _ in
            try Migrator.backend.migrate(connection)
            let ids = ["unlocked", "progressing", "credited", "target", "candidate", "winner", "free"]
            try BackendSchema.syncCatalog(ProgressionCatalog(nodes: ids.map { .init(id: $0, title: $0, costs: [1]) }), on: connection)
            try connection.execute("INSERT INTO progression_unlocks (node_id, level, unlocked_at) VALUES ($1, 1, 0)", ["unlocked"])
            try connection.execute("INSERT INTO progression_progress (node_id, level, points, updated_at) VALUES ($1, 1, 0, 0)", ["progressing"])
            let user = try #require(try connection.queryFirst("INSERT INTO users (name, password_hash, created_at) VALUES ('ann', 'h', 0) RETURNING id")).decode(Int64.self, at: 0)
            try connection.execute("INSERT INTO engagement_ledger (user_id, kind, points, node_id, level, created_at) VALUES ($1, 'message', 1, $2, 1, 0)", [.integer(user), "credited"])
            try connection.execute("UPDATE progression_state SET target_node_id = $1, target_level = 1 WHERE id = 1", ["target"])
            let session = try #require(try connection.queryFirst("INSERT INTO voting_sessions (opened_at, ends_at, winner_node_id) VALUES (0, 1, $1) RETURNING id", ["winner"]))
                .decode(Int64.self, at: 0)
            try connection.execute("INSERT INTO voting_candidates (session_id, node_id, listed_order) VALUES ($1, $2, 0)", [.integer(session), "candidate"])
            try connection.execute("INSERT INTO votes (session_id, user_id, node_id, voted_at) VALUES ($1, $2, $3, 0)", [.integer(session), .integer(user), "candidate"])

            let report = try BackendSchema.syncCatalog(ProgressionCatalog(nodes: [.init(id: "new", title: "New", costs: [2])]), on: connection)
            #expect(report.removedNodes == ["free"])
            #expect(report.keptNodes == ["candidate", "credited", "progressing", "target", "unlocked", "winner"])
            #expect(report.keptLevels == ["credited", "progressing", "target", "unlocked"].map { .init(nodeID: $0, level: 1) })
            #expect(report.removedLevels == ["candidate", "free", "winner"].map { .init(nodeID: $0, level: 1) })
            let snapshot = try Self.snapshot(connection)
            // The tree first, then the kept nodes in their previous order.
            #expect(snapshot.nodes == ["new/New/0", "unlocked/unlocked/1", "progressing/progressing/2", "credited/credited/3", "target/target/4", "candidate/candidate/5", "winner/winner/6"])
            #expect(snapshot.levels == ["credited:1=1", "new:1=2", "progressing:1=1", "target:1=1", "unlocked:1=1"])
            #expect(try connection.queryFirst("SELECT COUNT(*) FROM votes")?.decode(Int.self, at: 0) == 1)
        }
    }

    @Test("an invalid tree is refused and nothing is written", arguments: DriverKind.allCases)
    func invalidTreeRefused(_ kind: DriverKind) throws {
        try TestDatabase.with(kind) { connection, _ in
            try Migrator.backend.migrate(connection)
            try BackendSchema.syncCatalog(Self.firstTree, on: connection)
            let before = try Self.snapshot(connection)
            let invalid: [(ProgressionCatalog, String)] = [
                (ProgressionCatalog(nodes: [.init(id: "a", title: "A", costs: [1]), .init(id: "a", title: "A", costs: [1])]), "listed twice"),
                (ProgressionCatalog(nodes: [.init(id: "a", title: "A", prerequisites: ["b"], costs: [1])]), "not in the tree"),
                (ProgressionCatalog(nodes: [.init(id: "a", title: "A", prerequisites: ["a"], costs: [1])]), "requires itself"),
                (ProgressionCatalog(nodes: [.init(id: "a", title: "A", costs: [1]), .init(id: "b", title: "B", prerequisites: ["a", "a"], costs: [1])]), "twice"),
                (ProgressionCatalog(nodes: [.init(id: "a", title: "A", costs: [1, 0])]), "level 2"),
            ]
            for (catalog, problem) in invalid {
                let error = #expect(throws: DatabaseError.self) { try BackendSchema.syncCatalog(catalog, on: connection) }
                #expect(error?.kind == .other)
                #expect(error?.reason.contains(problem) == true, "\(String(describing: error))")
                #expect(try Self.snapshot(connection) == before)
            }
        }
    }

    @Test("a failure inside the sync rolls all of it back", arguments: DriverKind.allCases)
    func failureRollsBack(_ kind: DriverKind) throws {
        try TestDatabase.with(kind) { connection, _ in
            try Migrator.backend.migrate(connection)
            try BackendSchema.syncCatalog(Self.firstTree, on: connection)
            let before = try Self.snapshot(connection)
            // Breaks the sync halfway: the nodes and levels are written, then clearing the
            // prerequisites fails.
            try connection.execute("ALTER TABLE progression_prerequisites RENAME TO prerequisites_elsewhere")
            let error = #expect(throws: DatabaseError.self) { try BackendSchema.syncCatalog(Self.secondTree, on: connection) }
            #expect(error?.kind == .other)
            #expect(!connection.isInTransaction)
            try connection.execute("ALTER TABLE prerequisites_elsewhere RENAME TO progression_prerequisites")
            #expect(try Self.snapshot(connection) == before)
        }
    }
}
