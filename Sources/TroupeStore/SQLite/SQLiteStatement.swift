import CSQLite

/// A prepared SQLite statement and how its placeholders map to the parameter array.
///
/// SQLite numbers parameters in order of first appearance, and treats `$1` as a *name*, so
/// `... WHERE b = $2 AND a = $1` would bind backwards if bound by position. The map, built
/// once at prepare time from the placeholder names, binds SQLite's slot `i + 1` to
/// `parameters[parameterIndex[i]]`, which gives `$n` the PostgreSQL meaning in both dialects.
struct SQLiteStatement {
    let handle: OpaquePointer
    let parameterIndex: [Int]

    /// Reads the placeholder names of `handle`; every one must be `$n`, numbered 1...count
    /// without gaps.
    static func make(_ handle: OpaquePointer) throws(DatabaseError) -> SQLiteStatement {
        let count = Int(sqlite3_bind_parameter_count(handle))
        var indices: [Int] = []
        indices.reserveCapacity(count)
        for slot in 0..<count {
            guard let cName = sqlite3_bind_parameter_name(handle, Int32(slot + 1)) else {
                throw DatabaseError.misuse("an anonymous ? placeholder: write $1, $2, ... (the placeholders both dialects share)")
            }
            let name = String(cString: cName)
            guard name.first == "$", let number = Int(name.dropFirst()), number >= 1 else {
                throw DatabaseError.misuse("placeholder \(name): write $1, $2, ... (the placeholders both dialects share)")
            }
            indices.append(number - 1)
        }
        guard Set(indices) == Set(0..<count) else {
            throw DatabaseError.misuse("placeholders must be numbered $1...$\(count) without gaps; found \(indices.map { "$\($0 + 1)" }.sorted().joined(separator: ", "))")
        }
        return SQLiteStatement(handle: handle, parameterIndex: indices)
    }
}
