/// One result row: the column names of its result and the values, in select order.
///
/// Rows are plain values, fully read before a query returns, so they are `Sendable` and
/// outlive the statement and the connection they came from.
///
/// ```swift
/// let rows = try connection.query("SELECT id, name FROM users WHERE name = $1", ["alice"])
/// let id = try rows[0].decode(Int64.self, at: 0)
/// let name = try rows[0].decode(String.self, column: "name")
/// ```
public struct Row: Sendable, Hashable {
    /// The result's column names (shared by every row of one result).
    public let columnNames: [String]
    /// The values, one per column.
    public let values: [DatabaseValue]

    /// A row of `values` under `columnNames`.
    ///
    /// - Throws: ``DatabaseError`` (`other`) unless there is one name per value.
    public init(columnNames: [String], values: [DatabaseValue]) throws(DatabaseError) {
        guard columnNames.count == values.count else {
            throw DatabaseError.misuse("a row needs one name per value: \(columnNames.count) names, \(values.count) values")
        }
        self.init(checkedColumnNames: columnNames, values: values)
    }

    /// A row the driver built with one name per value.
    init(checkedColumnNames columnNames: [String], values: [DatabaseValue]) {
        self.columnNames = columnNames
        self.values = values
    }

    /// The number of columns.
    public var count: Int { values.count }

    /// The raw value at `index` (0-based). Out of range is a programming error (trap).
    public subscript(index: Int) -> DatabaseValue { values[index] }

    /// The value at `index` as `T`.
    ///
    /// - Throws: ``DatabaseError`` of kind `other` naming the column, the expected type and
    ///   the value's actual kind, when the index is out of range or the value does not convert.
    public func decode<T: DatabaseValueConvertible>(_ type: T.Type = T.self, at index: Int) throws(DatabaseError) -> T {
        guard values.indices.contains(index) else {
            throw DatabaseError.misuse("column \(index) does not exist: the row has \(values.count) columns (\(columnNames.joined(separator: ", ")))")
        }
        return try convert(values[index], column: "\(index) (\(columnNames[index]))", to: T.self)
    }

    /// The value of the first column named `column` as `T`.
    ///
    /// - Throws: ``DatabaseError`` of kind `other` when no column has that name or the value
    ///   does not convert.
    public func decode<T: DatabaseValueConvertible>(_ type: T.Type = T.self, column: String) throws(DatabaseError) -> T {
        guard let index = columnNames.firstIndex(of: column) else {
            throw DatabaseError.misuse("no column named \(column) in the result (columns: \(columnNames.joined(separator: ", ")))")
        }
        return try convert(values[index], column: column, to: T.self)
    }

    private func convert<T: DatabaseValueConvertible>(_ value: DatabaseValue, column: String, to: T.Type) throws(DatabaseError) -> T {
        guard let converted = T.decode(value) else {
            throw DatabaseError.misuse("column \(column) holds \(value.kindName), which does not decode as \(T.self); change the query or the type asked for")
        }
        return converted
    }
}
