/// The name rules of PROTOCOL.md, one value per kind of name. Names are lower-cased on input
/// (`Alice` and `alice` are one user); anything outside a kind's alphabet or length is
/// refused. Validated names are ASCII, so their `String` is also their bytes.
public protocol ValidatedName: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The lower-cased name.
    var value: String { get }
    /// A name from `value` as it is, without checking it: only for text already known to
    /// follow the kind's rules (lower-cased, within its alphabet and length).
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

    /// The name itself (``value``).
    public var description: String { value }

    /// Orders names by their text (byte order, as they are ASCII).
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }

    static func isLowerAlphanumericOrUnderscore(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "_")
    }
}
