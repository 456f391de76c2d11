/// Brings a database's schema up to the newest version this binary knows, at start-up.
///
/// - **Versioned**: the table `schema_migrations` records each applied version, its name and
///   when it was applied.
/// - **Transactional**: one run is one transaction: the pending migrations are applied all or
///   none, and a failure leaves the database exactly as it was (both dialects have
///   transactional DDL).
/// - **Serialised**: migrators starting at once (several Troupe nodes sharing one
///   PostgreSQL) take a lock inside that transaction and read the version only then, so each
///   migration is applied once.
/// - **A no-op when up to date**: nothing is written.
/// - **Refuses a newer database**: a schema version above ``latestVersion`` means a newer
///   binary migrated it; this one would misread it, so ``migrate(_:)`` throws
///   ``DatabaseError/Kind/incompatibleSchema(databaseVersion:supportedVersion:)`` and
///   changes nothing. So does a recorded migration whose name differs from this binary's
///   (a database from another lineage).
///
/// Runs on a ``DatabaseConnection``, so the same thread rule applies: call it from a thread
/// the caller owns (the pool's), never from the cooperative pool in the server.
public struct Migrator: Sendable {
    /// The table recording applied versions (written literally in the statements below: SQL is
    /// never assembled by interpolation, not even from constants).
    public static let versionTable = "schema_migrations"

    /// The migrations, by version, starting at 1.
    public let migrations: [Migration]

    /// A migrator for `migrations`, which must be numbered 1, 2, 3... in order.
    ///
    /// - Throws: ``DatabaseError`` (`other`) naming the first migration out of order.
    public init(_ migrations: [Migration]) throws(DatabaseError) {
        for (offset, migration) in migrations.enumerated() where migration.version != offset + 1 {
            throw DatabaseError.misuse(
                "migrations must be numbered 1, 2, 3... in order; found \(migration.version) (\(migration.name)) at position \(offset + 1)"
            )
        }
        self.init(checked: migrations)
    }

    private init(checked migrations: [Migration]) {
        self.migrations = migrations
    }

    /// The migrator for the backend's schema (``BackendSchema/migrations``, numbered in
    /// order: a test checks them with the throwing initializer).
    public static let backend = Migrator(checked: BackendSchema.migrations)

    /// The newest version this binary knows.
    public var latestVersion: Int { migrations.count }

    /// Applies every pending migration in one transaction.
    ///
    /// - Throws: ``DatabaseError`` `incompatibleSchema` for a database newer than this binary
    ///   or from another lineage; any failure of a migration's statements (the transaction is
    ///   rolled back).
    @discardableResult
    public func migrate(_ connection: any DatabaseConnection) throws(DatabaseError) -> MigrationReport {
        let dialect = connection.dialect
        return try connection.transaction { () throws(DatabaseError) -> MigrationReport in
            if let lock = dialect.migrationLockStatement {
                _ = try connection.query(lock)
            }
            try connection.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
            )
            let recorded = try recordedMigrations(connection)
            let previous = recorded.last?.version ?? 0
            try checkCompatible(recorded)
            var applied: [Int] = []
            for migration in migrations where migration.version > previous {
                for statement in migration.statements(for: dialect) {
                    try connection.execute(statement)
                }
                try connection.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                    [.integer(Int64(migration.version)), .text(migration.name), .integer(unixMilliseconds())]
                )
                applied.append(migration.version)
            }
            return MigrationReport(previousVersion: previous, currentVersion: max(previous, latestVersion), applied: applied)
        }
    }

    /// The database's schema version: 0 when it was never migrated.
    public func version(of connection: any DatabaseConnection) throws(DatabaseError) -> Int {
        let exists: Bool
        switch connection.dialect {
        case .sqlite:
            exists = try connection.queryFirst("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1", [.text(Self.versionTable)]) != nil
        case .postgres:
            // to_regclass follows search_path, as the unqualified name in the migrations does.
            exists = try connection.queryFirst("SELECT to_regclass($1) IS NOT NULL", [.text(Self.versionTable)])?.decode(Bool.self, at: 0) ?? false
        }
        guard exists else { return 0 }
        return try connection.queryFirst("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")?.decode(Int.self, at: 0) ?? 0
    }

    private func recordedMigrations(_ connection: any DatabaseConnection) throws(DatabaseError) -> [(version: Int, name: String)] {
        var recorded: [(version: Int, name: String)] = []
        for row in try connection.query("SELECT version, name FROM schema_migrations ORDER BY version") {
            recorded.append((version: try row.decode(Int.self, at: 0), name: try row.decode(String.self, at: 1)))
        }
        return recorded
    }

    private func checkCompatible(_ recorded: [(version: Int, name: String)]) throws(DatabaseError) {
        if let newest = recorded.last, newest.version > latestVersion {
            throw DatabaseError(
                .incompatibleSchema(databaseVersion: newest.version, supportedVersion: latestVersion),
                reason: "the database's schema is at version \(newest.version) (\(newest.name)), but this binary knows versions up to \(latestVersion); refusing to start rather than misread it"
            )
        }
        for entry in recorded where entry.version >= 1 && entry.version <= latestVersion {
            let expected = migrations[entry.version - 1].name
            guard entry.name == expected else {
                throw DatabaseError(
                    .incompatibleSchema(databaseVersion: recorded.last?.version ?? entry.version, supportedVersion: latestVersion),
                    reason: "the database recorded migration \(entry.version) as \"\(entry.name)\", but this binary's migration \(entry.version) is \"\(expected)\": the database was built by another schema lineage",
                    remedy: "Point Troupe at its own database, or restore one that this version of Troupe created."
                )
            }
        }
    }
}
