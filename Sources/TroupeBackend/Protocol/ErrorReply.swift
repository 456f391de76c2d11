/// A typed error reply: a code of PROTOCOL.md and the text after it. The reply on the wire
/// is `-<code> <message>` (``text``).
public struct ErrorReply: Error, Sendable, Hashable, CustomStringConvertible {
    /// The code, the reply's first word.
    public let code: ErrorCode
    /// What follows the code: a message for a person.
    public let message: String

    /// An error reply `-<code> <message>`.
    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The whole reply line without the leading `-` and the line end.
    public var text: String { message.isEmpty ? code.rawValue : "\(code.rawValue) \(message)" }

    public var description: String { text }

    /// `-ERR <message>`.
    public static func err(_ message: String) -> ErrorReply { ErrorReply(.err, message) }
    /// `-NOAUTH authentication required`.
    public static let noauth = ErrorReply(.noauth, "authentication required")
    /// `-DENIED invalid credentials`: wrong user, malformed user name or wrong password, alike.
    public static let invalidCredentials = ErrorReply(.denied, "invalid credentials")
    /// `-DENIED invalid token`: unknown, revoked or expired.
    public static let invalidToken = ErrorReply(.denied, "invalid token")
    /// `-DENIED admin only`.
    public static let adminOnly = ErrorReply(.denied, "admin only")
    /// `-ERR connection closed`: a request on a connection that was disconnected.
    public static let connectionClosed = ErrorReply(.err, "connection closed")
    /// `-SHUTDOWN server is shutting down`.
    public static let shuttingDown = ErrorReply(.shutdown, "server is shutting down")

    /// `-BUSY <why>[, retry after <ms> ms]`: the request did not take effect.
    public static func busy(_ why: String, retryAfter: Duration? = nil) -> ErrorReply {
        guard let retryAfter else { return ErrorReply(.busy, why) }
        let (seconds, attoseconds) = retryAfter.components
        let milliseconds = max(1, seconds * 1_000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
        return ErrorReply(.busy, "\(why), retry after \(milliseconds) ms")
    }
}
