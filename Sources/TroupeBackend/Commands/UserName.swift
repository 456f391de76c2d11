/// A user name: `[a-z0-9_]{1,32}`.
public struct UserName: ValidatedName {
    /// The lower-cased name.
    public let value: String
    /// A name from `value` as it is, without checking it: only for text already known to
    /// follow the rules (lower-cased, within the alphabet and length).
    public init(unchecked value: String) { self.value = value }
    /// Most bytes a name may have: 32.
    public static let maxLength = 32
    /// Whether `byte` (already lower-cased) may appear in the name: `a`-`z`, `0`-`9`, `_`.
    public static func allows(_ byte: UInt8) -> Bool { isLowerAlphanumericOrUnderscore(byte) }
}
