/// Parameters encoded for libpq's extended protocol: one type OID per parameter and the
/// values in PostgreSQL's **binary** format, all in one buffer.
///
/// Binary avoids every text round trip: integers and floats go as their exact bits (no
/// formatting, no precision or infinity spelling), text and bytes go with explicit lengths
/// (so a NUL byte cannot silently cut a value short: PostgreSQL rejects it in text instead).
struct PostgresParameters {
    private(set) var types: [UInt32] = []
    private var offsets: [Int] = []
    private var lengths: [Int32] = []
    private var isNull: [Bool] = []
    // One trailing byte keeps the base address non-nil even when every value is empty.
    private var storage: [UInt8] = []

    init(_ parameters: [DatabaseValue]) throws(DatabaseError) {
        types.reserveCapacity(parameters.count)
        for parameter in parameters {
            let start = storage.count
            switch parameter {
            case .null:
                types.append(PostgresType.unspecified)
            case .integer(let value):
                types.append(PostgresType.int8)
                appendBigEndian(UInt64(bitPattern: value))
            case .double(let value):
                types.append(PostgresType.float8)
                appendBigEndian(value.bitPattern)
            case .bool(let value):
                types.append(PostgresType.bool)
                storage.append(value ? 1 : 0)
            case .text(let value):
                types.append(PostgresType.text)
                storage.append(contentsOf: value.utf8)
            case .blob(let value):
                types.append(PostgresType.bytea)
                storage.append(contentsOf: value)
            }
            let length = storage.count - start
            guard let length32 = Int32(exactly: length) else {
                throw DatabaseError.misuse("a parameter of \(length) bytes exceeds PostgreSQL's limit of 1 GB per value")
            }
            offsets.append(start)
            lengths.append(length32)
            isNull.append(parameter == .null)
        }
        storage.append(0)
    }

    /// The prepared-statement cache key: the same SQL with other parameter types is another
    /// prepared statement, because PostgreSQL fixes parameter types at prepare time.
    func cacheKey(for sql: String) -> String {
        var key = types.map { String($0) }.joined(separator: ",")
        key.append("|")
        key.append(sql)
        return key
    }

    /// Calls `body` with the value pointers, lengths and formats libpq expects; the pointers
    /// are valid only during the call.
    func withUnsafeArguments<R>(_ body: (_ values: [UnsafePointer<CChar>?], _ lengths: [Int32], _ formats: [Int32]) -> R) -> R {
        storage.withUnsafeBytes { buffer in
            let base = buffer.baseAddress!
            let values: [UnsafePointer<CChar>?] = offsets.indices.map { index in
                isNull[index] ? nil : (base + offsets[index]).assumingMemoryBound(to: CChar.self)
            }
            return body(values, lengths, [Int32](repeating: 1, count: offsets.count))
        }
    }

    private mutating func appendBigEndian(_ value: UInt64) {
        withUnsafeBytes(of: value.bigEndian) { storage.append(contentsOf: $0) }
    }
}
