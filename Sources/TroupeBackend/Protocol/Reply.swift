/// A successful answer to one ``Command``, in the shapes PROTOCOL.md replies with. The front
/// encodes it as RESP2 or RESP3; the backend never sees bytes on a socket.
public indirect enum Reply: Sendable, Hashable {
    /// `+text` (`+OK`, `+PONG`).
    case simple(String)
    /// `:n`: ids, times, counts, points.
    case integer(Int64)
    /// `$len` bytes: names, texts, tokens (binary-safe).
    case bulk([UInt8])
    /// `$-1` in RESP2, `_` in RESP3.
    case null
    /// `*n`.
    case array([Reply])
    /// A map in RESP3 (`%n`); a flat array of key, value, key, value … in RESP2.
    case map([Field])

    /// One entry of a ``Reply/map(_:)``, in the order the protocol lists them.
    public struct Field: Sendable, Hashable {
        /// The key, sent as a bulk string.
        public let key: String
        /// The value.
        public let value: Reply

        /// A field `key` → `value`.
        public init(_ key: String, _ value: Reply) {
            self.key = key
            self.value = value
        }
    }

    /// `+OK`.
    public static let ok = Reply.simple("OK")

    /// A bulk string holding `text`'s UTF-8 bytes.
    public static func bulk(_ text: String) -> Reply {
        .bulk(Array(text.utf8))
    }

    /// An integer reply from an `Int`.
    public static func int(_ value: Int) -> Reply {
        .integer(Int64(value))
    }
}
