/// One value bound to a statement parameter or read from a result column.
///
/// The same six cases exist in both dialects, with these mappings:
///
/// | case       | SQLite storage class         | PostgreSQL type sent / read            |
/// | ---------- | ---------------------------- | -------------------------------------- |
/// | `integer`  | INTEGER                      | `int8` (reads `int2`, `int4`, `oid`)   |
/// | `double`   | REAL                         | `float8` (reads `float4`)              |
/// | `text`     | TEXT (UTF-8)                 | `text` (reads every other type as text)|
/// | `blob`     | BLOB                         | `bytea`                                |
/// | `bool`     | INTEGER 0 or 1 (read back as `integer`) | `bool`                      |
/// | `null`     | NULL                         | NULL                                   |
///
/// PostgreSQL `numeric` results (for example `SUM` over `bigint`) are read as `integer` when
/// they are whole and fit in 64 bits, else as `double`. Cast in SQL when exactness matters.
///
/// Text must be valid UTF-8 without NUL bytes to be portable (PostgreSQL refuses both); store
/// arbitrary bytes, such as protocol message bodies, as `blob`.
public enum DatabaseValue: Sendable, Hashable {
    /// SQL NULL.
    case null
    /// A 64-bit signed integer.
    case integer(Int64)
    /// A 64-bit IEEE float. (SQLite stores NaN as NULL; avoid it.)
    case double(Double)
    /// A UTF-8 string.
    case text(String)
    /// Raw bytes.
    case blob([UInt8])
    /// A boolean. SQLite has no boolean type and hands back `integer(0)` or `integer(1)`;
    /// decode with `Bool` to read either dialect.
    case bool(Bool)

    /// The name of the case, for error messages ("integer", "text", ...).
    public var kindName: String {
        switch self {
        case .null: "null"
        case .integer: "integer"
        case .double: "double"
        case .text: "text"
        case .blob: "blob"
        case .bool: "bool"
        }
    }
}

extension DatabaseValue: ExpressibleByIntegerLiteral {
    /// An integer literal as a parameter: `[42]`.
    public init(integerLiteral value: Int64) {
        self = .integer(value)
    }
}

extension DatabaseValue: ExpressibleByFloatLiteral {
    /// A float literal as a parameter: `[1.5]`.
    public init(floatLiteral value: Double) {
        self = .double(value)
    }
}

extension DatabaseValue: ExpressibleByStringLiteral {
    /// A string literal as a parameter: `["alice"]`.
    public init(stringLiteral value: String) {
        self = .text(value)
    }
}

extension DatabaseValue: ExpressibleByBooleanLiteral {
    /// A boolean literal as a parameter: `[true]`.
    public init(booleanLiteral value: Bool) {
        self = .bool(value)
    }
}
