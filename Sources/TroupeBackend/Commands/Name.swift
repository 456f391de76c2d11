/// The name rules of PROTOCOL.md, one value per kind of name. Names are lower-cased on input
/// (`Alice` and `alice` are one user); anything outside a kind's alphabet or length is
/// refused. Validated names are ASCII, so their `String` is also their bytes.
public protocol ValidatedName: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The lower-cased name.
    var value: String { get }
    init(unchecked value: String)
    /// Most bytes a name may have.
    static var maxLength: Int { get }
    /// Whether `byte` (already lower-cased) may appear in the name.
    static func allows(_ byte: UInt8) -> Bool
}

extension ValidatedName {
    /// The name in `bytes`, lower-cased; nil if it breaks the kind's rules.
    public init?(_ bytes: some Collection<UInt8>) {
        guard (1...Self.maxLength).contains(bytes.count) else { return nil }
        var lowered = [UInt8]()
        lowered.reserveCapacity(bytes.count)
        for byte in bytes {
            let lower = (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
            guard Self.allows(lower) else { return nil }
            lowered.append(lower)
        }
        self.init(unchecked: String(decoding: lowered, as: UTF8.self))
    }

    /// The name in `text`, lower-cased; nil if it breaks the kind's rules.
    public init?(_ text: String) {
        self.init(Array(text.utf8))
    }

    public var description: String { value }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }

    static func isLowerAlphanumericOrUnderscore(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "_")
    }
}

/// A user name: `[a-z0-9_]{1,32}`.
public struct UserName: ValidatedName {
    public let value: String
    public init(unchecked value: String) { self.value = value }
    public static let maxLength = 32
    public static func allows(_ byte: UInt8) -> Bool { isLowerAlphanumericOrUnderscore(byte) }
}

/// A room name: `[a-z0-9_-]{1,64}`.
public struct RoomName: ValidatedName {
    public let value: String
    public init(unchecked value: String) { self.value = value }
    public static let maxLength = 64
    public static func allows(_ byte: UInt8) -> Bool { isLowerAlphanumericOrUnderscore(byte) || byte == UInt8(ascii: "-") }
}

/// A progression node name: `[a-z0-9_-]{1,64}`.
public struct NodeName: ValidatedName {
    public let value: String
    public init(unchecked value: String) { self.value = value }
    public static let maxLength = 64
    public static func allows(_ byte: UInt8) -> Bool { isLowerAlphanumericOrUnderscore(byte) || byte == UInt8(ascii: "-") }
}

/// An engagement kind: `[a-z0-9_]{1,32}`.
public struct EngagementKind: ValidatedName {
    public let value: String
    public init(unchecked value: String) { self.value = value }
    public static let maxLength = 32
    public static func allows(_ byte: UInt8) -> Bool { isLowerAlphanumericOrUnderscore(byte) }

    /// The kind every `SAY` and `DM` records.
    public static let message = EngagementKind(unchecked: "message")
}
