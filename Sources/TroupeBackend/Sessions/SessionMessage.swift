import Troupe

/// What a user's session actor is asked. Its handlers never wait: the caller does what needs
/// waiting (subscribing a connection's sink to the bus) before it asks.
enum SessionMessage: Sendable {
    /// A connection logged in as this user (its sink already subscribed to the user's topic
    /// and `everyone`).
    case attach(BackendConnection, ReplyTo<Void>)
    /// The connection closed or logged in as someone else.
    case detach(connectionID: UInt64, ReplyTo<Void>)
    /// `LOGOUT`: every connection bound to this token becomes anonymous and leaves its rooms.
    case revoke(tokenHash: [UInt8], ReplyTo<Void>)
    /// How many connections are attached (tests, STATS).
    case connections(ReplyTo<Int>)
}
