/// A progression node name: `[a-z0-9_-]{1,64}`.
public struct NodeName: ValidatedName {
    /// The lower-cased name.
    public let value: String
    /// A name from `value` as it is, without checking it: only for text already known to
    /// follow the rules (lower-cased, within the alphabet and length).
    public init(unchecked value: String) { self.value = value }
    /// Most bytes a name may have: 64.
    public static let maxLength = 64
    /// Whether `byte` (already lower-cased) may appear in the name: `a`-`z`, `0`-`9`, `_`, `-`.
    public static func allows(_ byte: UInt8) -> Bool { isLowerAlphanumericOrUnderscore(byte) || byte == UInt8(ascii: "-") }
}
