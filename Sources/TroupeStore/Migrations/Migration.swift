/// One step of the schema's history: a version, a name, and its statements for each dialect.
///
/// A migration, once released, never changes: a later change to the schema is a new
/// migration. Its statements are produced per dialect by one closure, so the SQL is written
/// once and only what ``SQLDialect`` names differs.
public struct Migration: Sendable {
    /// The version the schema has after this migration; migrations are numbered 1, 2, 3...
    public let version: Int
    /// A short description, recorded in the database; it must not change once released
    /// (the migrator compares it to detect a database from another lineage).
    public let name: String
    private let makeStatements: @Sendable (SQLDialect) -> [String]

    /// A migration to `version`, running `statements(dialect)` in order.
    public init(version: Int, name: String, statements: @escaping @Sendable (SQLDialect) -> [String]) {
        self.version = version
        self.name = name
        self.makeStatements = statements
    }

    /// The statements for `dialect`, one statement per string.
    public func statements(for dialect: SQLDialect) -> [String] {
        makeStatements(dialect)
    }
}
