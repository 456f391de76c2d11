/// A request the parser cannot accept. Each case knows the exact error reply PROTOCOL.md
/// (or, where it is silent, Redis) sends for it; after that reply the connection is closed.
public enum WireError: Error, Sendable, Hashable {
    /// An inline line longer than the limit (bytes before its terminator).
    case lineTooLong(limit: Int)
    /// A bulk length above the limit.
    case bulkTooLong(limit: Int)
    /// A multibulk count above the limit.
    case tooManyArguments(limit: Int)
    /// An inline line whose double quotes do not balance, or whose closing quote is
    /// followed by something other than a separator (Redis answers both alike).
    case unbalancedQuotes
    /// A `*` header whose count is not a number, or is negative other than `*-1`.
    case invalidMultibulkLength
    /// A `$` header whose length is not a number or is negative.
    case invalidBulkLength
    /// A `*` header line longer than ``WireLimits/maxHeaderLineBytes``.
    case multibulkCountLineTooLong
    /// A `$` header line longer than ``WireLimits/maxHeaderLineBytes``.
    case bulkLengthLineTooLong
    /// An element of a multibulk request that does not start with `$`.
    case expectedBulk(got: UInt8)
    /// Bulk data not followed by `\r\n`.
    case missingBulkTerminator

    /// The error code, the first word of the reply: `ERR` or `TOOLARGE`.
    public var code: String {
        switch self {
        case .lineTooLong, .bulkTooLong, .tooManyArguments: "TOOLARGE"
        default: "ERR"
        }
    }

    /// The reply's text after the code. It never holds `\r` or `\n`.
    public var message: String {
        switch self {
        case .lineTooLong(let limit): "line exceeds \(limit) bytes"
        case .bulkTooLong(let limit): "bulk length exceeds \(limit) bytes"
        case .tooManyArguments(let limit): "multibulk count exceeds \(limit)"
        // PROTOCOL.md's form of Redis's text (lower case, as its other protocol errors).
        case .unbalancedQuotes: "protocol error: unbalanced quotes in request"
        case .invalidMultibulkLength: "protocol error: invalid multibulk length"
        case .invalidBulkLength: "protocol error: invalid bulk length"
        case .multibulkCountLineTooLong: "protocol error: too big mbulk count string"
        case .bulkLengthLineTooLong: "protocol error: too big bulk count string"
        case .expectedBulk(let byte): "protocol error: expected '$', got '\(Self.printable(byte))'"
        case .missingBulkTerminator: "protocol error: bulk data not followed by CRLF"
        }
    }

    /// The whole reply line without the leading `-` and the trailing `\r\n`.
    public var replyText: String { "\(code) \(message)" }

    /// Whether the connection must be closed after the reply: always, for every parser
    /// error, because after one the parser cannot know where the next request starts.
    public var closesConnection: Bool { true }

    /// A byte as Redis shows it in `expected '$', got 'x'`, but escaped when it is not
    /// printable ASCII so that the reply can never break RESP framing.
    private static func printable(_ byte: UInt8) -> String {
        if byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\\") {
            return String(UnicodeScalar(byte))
        }
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: [UInt8(ascii: "\\"), UInt8(ascii: "x"), digits[Int(byte >> 4)], digits[Int(byte & 0xF)]], as: UTF8.self)
    }
}
