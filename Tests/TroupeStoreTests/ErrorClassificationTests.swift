import Testing
@testable import TroupeStore

/// The classification tables, checked without a database; the driver suites check that real
/// failures arrive with these codes.
@Suite("Error classification")
struct ErrorClassificationTests {
    @Test("PostgreSQL SQLSTATEs", arguments: [
        ("40001", "transient"), ("40P01", "transient"), ("57014", "timeout"), ("55P03", "timeout"),
        ("08006", "unavailable"), ("08001", "unavailable"), ("53300", "unavailable"), ("57P01", "unavailable"),
        ("08P01", "database error"), ("23503", "database error"), ("42601", "database error"), ("XX000", "database error"),
    ])
    func postgresStates(_ state: String, _ kindName: String) {
        let error = DatabaseError.postgres(sqlState: state, message: "m", constraint: nil)
        #expect(error.kindName == kindName)
        #expect(error.isRetryable == (kindName == "transient"))
        #expect(!error.remedy.isEmpty)
    }

    @Test("a PostgreSQL unique violation carries the constraint")
    func postgresUnique() {
        let error = DatabaseError.postgres(sqlState: "23505", message: "duplicate key", constraint: "users_name_key")
        #expect(error.kind == .uniqueViolation(constraint: "users_name_key"))
        #expect(error.description == "unique violation: duplicate key [23505]. A row with the same users_name_key already exists: use another value, or treat it as already done.")
    }

    @Test("SQLite result codes", arguments: [
        (Int32(5), "transient"), (Int32(5 | 2 << 8), "transient"), (Int32(6), "transient"), (Int32(9), "timeout"),
        (Int32(13), "unavailable"), (Int32(14), "unavailable"), (Int32(10 | 3 << 8), "unavailable"), (Int32(8), "unavailable"),
        (Int32(19 | 3 << 8), "database error"), (Int32(1), "database error"), (Int32(26), "database error"),
    ])
    func sqliteCodes(_ code: Int32, _ kindName: String) {
        let error = DatabaseError.sqlite(code: code, message: "m")
        #expect(error.kindName == kindName)
        #expect(error.isRetryable == (kindName == "transient"))
    }
}
