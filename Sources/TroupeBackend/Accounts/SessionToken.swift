import Glibc

/// A bearer token for `RESUME` (PROTOCOL.md): 32 random bytes, shown to the client once as
/// text and stored only as the SHA-256 of that text.
///
/// Only ``hash`` is ever stored: whoever reads the table learns nothing that `RESUME`
/// accepts. A token has 256 bits of entropy, so it needs no salt or slow hash: finding any
/// text with a given digest is as hard as guessing the token.
///
/// A presented token is checked by looking up ``hash(of:)`` of the bytes the client sent;
/// the text is never compared, and never decoded (any bytes may be presented; only the
/// 43-character texts this type made can ever match).
///
/// # Concurrency contract
/// A `Sendable` value. ``generate()`` makes one system call that does not block once the
/// kernel's random pool is initialized (early boot), so it may run in async code.
public struct SessionToken: Sendable, CustomStringConvertible {
    /// The random bytes behind a token: 256 bits of entropy.
    public static let randomByteCount = 32
    /// The length of ``text``: 32 bytes in unpadded base64url.
    public static let textLength = 43

    /// What the client holds and presents: the random bytes in base64url
    /// (`A–Z a–z 0–9 - _`) without padding, ``textLength`` characters.
    public let text: String

    /// The SHA-256 of ``text``'s UTF-8 bytes: the only form of the token that is stored.
    public var hash: [UInt8] { Self.hash(of: text.utf8) }

    /// A new token from `getrandom(2)`.
    ///
    /// - Throws: ``TokenError/randomUnavailable(errno:)`` if the kernel's random source
    ///   fails; a token is never made from a weaker source.
    public static func generate() throws(TokenError) -> SessionToken {
        var bytes: [UInt8]
        do {
            bytes = try SystemRandom.bytes(randomByteCount)
        } catch {
            throw .randomUnavailable(errno: error.errno)
        }
        let token = SessionToken(text: Base64.urlUnpadded(bytes))
        // Only the text leaves; do not leave its source lying in freed memory
        // (explicit_bzero: a plain store before a free may be optimized away).
        bytes.withUnsafeMutableBytes { explicit_bzero($0.baseAddress!, $0.count) }
        return token
    }

    /// The stored form of a presented token: the SHA-256 of its bytes as sent.
    public static func hash(of presented: some Collection<UInt8>) -> [UInt8] {
        SHA256.digest(presented)
    }

    /// Redacted: a token must not reach a log by accident.
    public var description: String { "SessionToken(<redacted>)" }

    private init(text: String) {
        self.text = text
    }
}
