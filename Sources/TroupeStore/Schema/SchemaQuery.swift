/// A query the backend makes, kept next to the schema with sample parameters so that a test
/// can ask both databases' planners whether an index serves it.
public struct SchemaQuery: Sendable {
    /// What the backend uses it for (the protocol command or the actor's job).
    public let purpose: String
    /// The statement, with `$n` placeholders.
    public let sql: String
    /// Parameters of the right types, for planning it.
    public let sampleParameters: [DatabaseValue]
    /// True for the few queries that read a whole (small) table on purpose, such as loading
    /// all engagement weights into the cache.
    public let readsWholeTable: Bool

    /// A query served by an index (or reading a whole table when `readsWholeTable`).
    public init(_ purpose: String, _ sql: String, _ sampleParameters: [DatabaseValue] = [], readsWholeTable: Bool = false) {
        self.purpose = purpose
        self.sql = sql
        self.sampleParameters = sampleParameters
        self.readsWholeTable = readsWholeTable
    }
}
