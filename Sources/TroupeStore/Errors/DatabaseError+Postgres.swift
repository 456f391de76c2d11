extension DatabaseError {
    /// The SQLSTATE the driver reports for a lost connection (PostgreSQL's
    /// `connection_failure`), whatever libpq said.
    static let lostConnectionCode = "08006"

    /// Classifies a PostgreSQL error by SQLSTATE.
    ///
    /// - 23505 → `uniqueViolation` (the index name from the error's constraint field).
    /// - 40001 serialization failure, 40P01 deadlock → `transient`.
    /// - 57014 statement timeout or cancel, 55P03 lock timeout → `timeout`.
    /// - class 08 (connection), 53 (insufficient resources: too many connections, disk
    ///   full), 57P01-57P03 (server shutting down or starting) → `unavailable`.
    /// - everything else → `other`.
    static func postgres(sqlState: String?, message: String, constraint: String?) -> DatabaseError {
        guard let sqlState else { return DatabaseError(.other, reason: message) }
        switch sqlState {
        case "23505":
            return DatabaseError(.uniqueViolation(constraint: constraint ?? "unknown"), reason: message, code: sqlState)
        case "40001":
            return DatabaseError(
                .transient, reason: message, code: sqlState,
                remedy: "A concurrent transaction changed the same rows: run the whole transaction again."
            )
        case "40P01":
            return DatabaseError(
                .transient, reason: message, code: sqlState,
                remedy: "Two transactions waited for each other and this one was chosen to fail: run it again; if it recurs, take locks in the same order everywhere."
            )
        case "57014", "55P03":
            return DatabaseError(.timeout, reason: message, code: sqlState)
        case "57P01", "57P02", "57P03":
            return DatabaseError(.unavailable, reason: message, code: sqlState, remedy: "The PostgreSQL server is shutting down or starting up: wait for it to accept connections.")
        case "08P01":
            // A protocol violation the server reports over a healthy connection: in practice
            // a parameter count that does not match the statement's placeholders.
            return DatabaseError(.other, reason: message, code: sqlState, remedy: "This is a bug in the calling code: pass one parameter per placeholder ($1...$n).")
        case "25P02":
            return DatabaseError(
                .other, reason: message, code: sqlState,
                remedy: "An earlier statement of this transaction failed, which aborts it on PostgreSQL: roll back (or wrap the failing statement in withSavepoint) and handle that first error."
            )
        default:
            break
        }
        switch sqlState.prefix(2) {
        case "08":
            return DatabaseError(.unavailable, reason: message, code: sqlState)
        case "53":
            return DatabaseError(
                .unavailable, reason: message, code: sqlState,
                remedy: "The server is out of a resource (connections, disk, memory): lower the pool's maximum connections, free disk space, or raise the server's limits."
            )
        case "23":
            return DatabaseError(.other, reason: message, code: sqlState, remedy: "A NOT NULL, CHECK or FOREIGN KEY constraint refused the row: fix the values written.")
        case "42":
            return DatabaseError(.other, reason: message, code: sqlState, remedy: "The statement is invalid for this schema (syntax, unknown table or column, types): fix the SQL or run the migrations.")
        default:
            return DatabaseError(.other, reason: message, code: sqlState)
        }
    }
}
