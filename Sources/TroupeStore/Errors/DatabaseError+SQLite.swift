import CSQLite

extension DatabaseError {
    /// Classifies a SQLite (extended) result code.
    ///
    /// - BUSY, LOCKED → `transient`: another connection held the lock past the busy timeout
    ///   (or a table is locked by this connection's own unfinished read).
    /// - INTERRUPT → `timeout`.
    /// - CANTOPEN, IOERR, FULL, READONLY, PERM, NOMEM → `unavailable`: the database file cannot
    ///   be used right now, whatever the statement.
    /// - CONSTRAINT_UNIQUE / _PRIMARYKEY → `uniqueViolation` (with `constraint` resolved by
    ///   the caller); every other code → `other`.
    static func sqlite(code: Int32, message: String, constraint: String? = nil) -> DatabaseError {
        let primary = code & 0xFF
        let codeText = "\(sqliteCodeName(primary)) \(code)"
        if let constraint {
            return DatabaseError(.uniqueViolation(constraint: constraint), reason: message, code: codeText)
        }
        switch primary {
        case SQLITE_BUSY, SQLITE_LOCKED:
            return DatabaseError(
                .transient, reason: message, code: codeText,
                remedy: "Another connection held the write lock longer than the busy timeout: run the transaction again; if it keeps happening, shorten write transactions or raise busyTimeout."
            )
        case SQLITE_INTERRUPT:
            return DatabaseError(.timeout, reason: message, code: codeText, remedy: "The statement was interrupted (its deadline passed) and did not take effect.")
        case SQLITE_FULL:
            return DatabaseError(.unavailable, reason: message, code: codeText, remedy: "The disk holding the database is full: free space, then retry.")
        case SQLITE_CANTOPEN, SQLITE_READONLY, SQLITE_PERM:
            return DatabaseError(
                .unavailable, reason: message, code: codeText,
                remedy: "Check that the database path exists and that the file, its -wal and -shm files and their directory are writable by this process."
            )
        case SQLITE_IOERR, SQLITE_NOMEM:
            return DatabaseError(.unavailable, reason: message, code: codeText, remedy: "The system reported an I/O or memory failure: check the disk, the file system and the process's memory.")
        case SQLITE_CORRUPT, SQLITE_NOTADB:
            return DatabaseError(.other, reason: message, code: codeText, remedy: "The file is not a usable SQLite database: check the configured path, or restore it from a backup.")
        case SQLITE_CONSTRAINT:
            return DatabaseError(.other, reason: message, code: codeText, remedy: "A NOT NULL, CHECK or FOREIGN KEY constraint refused the row: fix the values written.")
        default:
            return DatabaseError(.other, reason: message, code: codeText)
        }
    }

    private static func sqliteCodeName(_ primary: Int32) -> String {
        switch primary {
        case SQLITE_ERROR: "SQLITE_ERROR"
        case SQLITE_PERM: "SQLITE_PERM"
        case SQLITE_BUSY: "SQLITE_BUSY"
        case SQLITE_LOCKED: "SQLITE_LOCKED"
        case SQLITE_NOMEM: "SQLITE_NOMEM"
        case SQLITE_READONLY: "SQLITE_READONLY"
        case SQLITE_INTERRUPT: "SQLITE_INTERRUPT"
        case SQLITE_IOERR: "SQLITE_IOERR"
        case SQLITE_CORRUPT: "SQLITE_CORRUPT"
        case SQLITE_FULL: "SQLITE_FULL"
        case SQLITE_CANTOPEN: "SQLITE_CANTOPEN"
        case SQLITE_CONSTRAINT: "SQLITE_CONSTRAINT"
        case SQLITE_MISMATCH: "SQLITE_MISMATCH"
        case SQLITE_MISUSE: "SQLITE_MISUSE"
        case SQLITE_RANGE: "SQLITE_RANGE"
        case SQLITE_NOTADB: "SQLITE_NOTADB"
        case SQLITE_TOOBIG: "SQLITE_TOOBIG"
        default: "SQLITE"
        }
    }
}
