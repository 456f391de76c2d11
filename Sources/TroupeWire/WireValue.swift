/// A value the server sends, in the shapes PROTOCOL.md uses. The front maps the backend's
/// replies and pushes to it; ``RESPEncoder`` writes it as RESP2 or RESP3.
public indirect enum WireValue: Sendable, Hashable {
    /// `+text`. `\r` and `\n` in the text are sent as spaces (they would end the line).
    case simple(String)
    /// `-CODE message`. `\r` and `\n` are sent as spaces.
    case error(code: String, message: String)
    /// `:n`.
    case integer(Int64)
    /// `$len\r\nbytes\r\n`, binary-safe.
    case bulk([UInt8])
    /// `$-1` in RESP2, `_` in RESP3.
    case null
    /// `*n` and its elements.
    case array([WireValue])
    /// `%n` and its pairs in RESP3; a flat array of key, value, key, value … in RESP2.
    case map([Field])
    /// `>n` in RESP3; a plain array in RESP2. The first element names the kind.
    case push([WireValue])

    /// One key and value of a ``WireValue/map(_:)``.
    public struct Field: Sendable, Hashable {
        /// The key.
        public var key: WireValue
        /// The value.
        public var value: WireValue

        /// A field with a bulk-string key, the form PROTOCOL.md's maps use.
        public init(_ key: String, _ value: WireValue) {
            self.key = .bulk(Array(key.utf8))
            self.value = value
        }

        /// A field with any key.
        public init(key: WireValue, value: WireValue) {
            self.key = key
            self.value = value
        }
    }

    /// A bulk string of `text`'s UTF-8 bytes.
    public static func bulk(_ text: String) -> WireValue {
        .bulk(Array(text.utf8))
    }
}
