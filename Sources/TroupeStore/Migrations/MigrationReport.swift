/// What one run of the ``Migrator`` did.
public struct MigrationReport: Sendable, Hashable {
    /// The schema version found before the run (0 for an empty database).
    public let previousVersion: Int
    /// The schema version after the run.
    public let currentVersion: Int
    /// The versions applied by this run, in order; empty when the database was up to date.
    public let applied: [Int]

    /// A report of a run that went from `previousVersion` to `currentVersion`.
    public init(previousVersion: Int, currentVersion: Int, applied: [Int]) {
        self.previousVersion = previousVersion
        self.currentVersion = currentVersion
        self.applied = applied
    }

    /// True when the run changed nothing.
    public var isNoOp: Bool { applied.isEmpty }
}
