/// The first word of every error reply (PROTOCOL.md, "Error codes").
public enum ErrorCode: String, Sendable, Hashable, CaseIterable {
    /// Unknown command, wrong number or form of arguments, protocol error.
    case err = "ERR"
    /// The command needs a logged-in connection.
    case noauth = "NOAUTH"
    /// Logged in but not allowed, or bad credentials or token.
    case denied = "DENIED"
    /// Already exists.
    case conflict = "CONFLICT"
    /// No such user, actor path or candidate node.
    case notFound = "NOTFOUND"
    /// `HELLO` with an unsupported protocol version.
    case noproto = "NOPROTO"
    /// Rate-limited or overloaded: the request did **not** take effect.
    case busy = "BUSY"
    /// The request's deadline passed; it may or may not have taken effect.
    case timeout = "TIMEOUT"
    /// Storage unreachable or its circuit breaker open.
    case unavailable = "UNAVAILABLE"
    /// A size limit was exceeded.
    case tooLarge = "TOOLARGE"
    /// The server is draining and takes no new work.
    case shutdown = "SHUTDOWN"
}
