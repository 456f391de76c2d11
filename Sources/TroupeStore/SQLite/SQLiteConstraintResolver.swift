/// Names the index behind a SQLite unique violation the way PostgreSQL reports it, so both
/// drivers surface the same ``DatabaseError/Kind/uniqueViolation(constraint:)``.
///
/// SQLite's message names columns, not the constraint: `UNIQUE constraint failed: t.a, t.b`
/// (or `... failed: index 'name'` for an index on expressions). The resolver finds the unique
/// index of `t` over exactly those columns and reports
/// - its own name for an index made by `CREATE UNIQUE INDEX` (the schema names every
///   uniqueness that way, so the names match PostgreSQL's exactly),
/// - `<table>_pkey` for a primary key, and `<table>_<columns>_key` for an inline `UNIQUE`,
///   which are PostgreSQL's default names for those constraints.
struct SQLiteConstraintResolver {
    /// The connection the violation happened on; the lookups are read-only catalog queries.
    unowned let connection: SQLiteConnection

    func constraintName(message: String, primaryKey: Bool) -> String {
        guard let detailStart = message.firstRange(of: "failed: ")?.upperBound else { return message }
        let detail = message[detailStart...]
        if detail.hasPrefix("index '") {
            return String(detail.dropFirst("index '".count).prefix { $0 != "'" })
        }
        let qualified = detail.split(separator: ",").map { $0.trimmingCharacters(in: " ") }
        guard let first = qualified.first, let dot = first.lastIndex(of: ".") else { return String(detail) }
        let table = String(first[..<dot])
        let columns = qualified.map { name in name.lastIndex(of: ".").map { String(name[name.index(after: $0)...]) } ?? name }
        if primaryKey { return "\(table)_pkey" }
        let fallback = "\(table)_\(columns.joined(separator: "_"))_key"
        // Lookups failing (they should not) still leave a useful, PostgreSQL-style name.
        guard let indexes = try? connection.uncachedQuery("SELECT name, origin FROM pragma_index_list($1) WHERE \"unique\" = 1", [.text(table)]) else {
            return fallback
        }
        for index in indexes {
            guard let name = try? index.decode(String.self, at: 0), let origin = try? index.decode(String.self, at: 1),
                let indexColumns = try? connection.uncachedQuery("SELECT name FROM pragma_index_info($1) ORDER BY seqno", [.text(name)])
            else { continue }
            guard indexColumns.compactMap({ try? $0.decode(String.self, at: 0) }) == columns else { continue }
            switch origin {
            case "pk": return "\(table)_pkey"
            case "u": return fallback
            default: return name
            }
        }
        return fallback
    }
}

extension StringProtocol {
    /// The text without leading and trailing `character`s.
    fileprivate func trimmingCharacters(in character: Character) -> String {
        String(drop { $0 == character }.reversed().drop { $0 == character }.reversed())
    }
}
