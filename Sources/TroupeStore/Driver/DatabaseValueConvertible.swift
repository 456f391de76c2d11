/// A Swift type that can be bound as a parameter and decoded from a result column.
///
/// Decoding is strict about kinds, with three documented leniencies that make one query read
/// the same on both drivers: `Bool` accepts `integer(0/1)` (SQLite has no boolean), `Double`
/// accepts `integer` (SQLite may hand back a whole REAL as INTEGER after arithmetic), and
/// `Optional` accepts `null`.
public protocol DatabaseValueConvertible: Sendable {
    /// The value to bind.
    var databaseValue: DatabaseValue { get }
    /// The Swift value for `value`, or nil when the value's kind does not convert.
    static func decode(_ value: DatabaseValue) -> Self?
}

extension DatabaseValue: DatabaseValueConvertible {
    /// The value itself.
    public var databaseValue: DatabaseValue { self }
    /// Always succeeds.
    public static func decode(_ value: DatabaseValue) -> DatabaseValue? { value }
}

extension Int64: DatabaseValueConvertible {
    /// `.integer(self)`.
    public var databaseValue: DatabaseValue { .integer(self) }
    /// From `.integer` only.
    public static func decode(_ value: DatabaseValue) -> Int64? {
        if case .integer(let integer) = value { return integer }
        return nil
    }
}

extension Int: DatabaseValueConvertible {
    /// `.integer(Int64(self))`.
    public var databaseValue: DatabaseValue { .integer(Int64(self)) }
    /// From `.integer` that fits in `Int`.
    public static func decode(_ value: DatabaseValue) -> Int? {
        if case .integer(let integer) = value { return Int(exactly: integer) }
        return nil
    }
}

extension Double: DatabaseValueConvertible {
    /// `.double(self)`.
    public var databaseValue: DatabaseValue { .double(self) }
    /// From `.double`, or from `.integer` (converted).
    public static func decode(_ value: DatabaseValue) -> Double? {
        switch value {
        case .double(let double): double
        case .integer(let integer): Double(integer)
        default: nil
        }
    }
}

extension String: DatabaseValueConvertible {
    /// `.text(self)`.
    public var databaseValue: DatabaseValue { .text(self) }
    /// From `.text` only.
    public static func decode(_ value: DatabaseValue) -> String? {
        if case .text(let text) = value { return text }
        return nil
    }
}

extension Array: DatabaseValueConvertible where Element == UInt8 {
    /// `.blob(self)`.
    public var databaseValue: DatabaseValue { .blob(self) }
    /// From `.blob` only.
    public static func decode(_ value: DatabaseValue) -> [UInt8]? {
        if case .blob(let bytes) = value { return bytes }
        return nil
    }
}

extension Bool: DatabaseValueConvertible {
    /// `.bool(self)`.
    public var databaseValue: DatabaseValue { .bool(self) }
    /// From `.bool`, or from `.integer(0)`/`.integer(1)` (how SQLite stores booleans).
    public static func decode(_ value: DatabaseValue) -> Bool? {
        switch value {
        case .bool(let bool): bool
        case .integer(0): false
        case .integer(1): true
        default: nil
        }
    }
}

extension Optional: DatabaseValueConvertible where Wrapped: DatabaseValueConvertible {
    /// `.null` for nil, else the wrapped value's.
    public var databaseValue: DatabaseValue { self?.databaseValue ?? .null }
    /// `.some(nil)` for `.null`; else the wrapped type's decoding.
    public static func decode(_ value: DatabaseValue) -> Wrapped?? {
        if case .null = value { return .some(nil) }
        guard let wrapped = Wrapped.decode(value) else { return nil }
        return .some(wrapped)
    }
}
