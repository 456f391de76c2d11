/// The transaction statements a connection runs on request, as values.
///
/// Drivers map each to fixed SQL (never built from input). Savepoints carry one fixed name:
/// both dialects resolve `RELEASE`/`ROLLBACK TO` to the most recent savepoint of that name,
/// so strictly nested use (as ``DatabaseConnection/withSavepoint(_:)`` guarantees) needs no
/// other.
public enum TransactionControl: Sendable, Hashable {
    /// Start a transaction (see ``SQLDialect`` for the mode).
    case begin
    /// Commit the open transaction.
    case commit
    /// Roll back the open transaction.
    case rollback
    /// Set a savepoint inside the open transaction.
    case savepoint
    /// Forget the most recent savepoint, keeping its work.
    case releaseSavepoint
    /// Undo the work since the most recent savepoint (which stays set); the transaction
    /// goes on, also after a failed statement on PostgreSQL.
    case rollbackToSavepoint

    /// The statement text.
    func sql(for dialect: SQLDialect) -> String {
        switch self {
        case .begin: dialect.beginStatement
        case .commit: "COMMIT"
        case .rollback: "ROLLBACK"
        case .savepoint: "SAVEPOINT troupe_savepoint"
        case .releaseSavepoint: "RELEASE SAVEPOINT troupe_savepoint"
        case .rollbackToSavepoint: "ROLLBACK TO SAVEPOINT troupe_savepoint"
        }
    }
}
