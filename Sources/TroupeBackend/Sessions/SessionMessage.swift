import Troupe

/// What a user's session actor is asked. Every request carries the connection it is about.
enum SessionMessage: Sendable {
    /// A connection logged in as this user: from now on it receives the user's DMs and the
    /// server-wide pushes.
    case attach(BackendConnection, ReplyTo<Void>)
    /// The connection closed or logged in as someone else: its joins and subscriptions end.
    case detach(connectionID: UInt64, ReplyTo<Void>)
    /// `JOIN`: the connection receives the room's messages from now on.
    case join(connectionID: UInt64, RoomName, ReplyTo<Void>)
    /// `LEAVE`.
    case leave(connectionID: UInt64, RoomName, ReplyTo<Void>)
    /// `LOGOUT`: every connection bound to this token becomes anonymous and leaves its rooms.
    case revoke(tokenHash: [UInt8], ReplyTo<Void>)
    /// How many connections are attached (tests, STATS).
    case connections(ReplyTo<Int>)
}
