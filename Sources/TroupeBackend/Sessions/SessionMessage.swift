import Troupe

/// What a user's session actor is asked. Every request carries the connection it is about.
/// The bus subscriptions a request brings were made by the caller (the front's task), so
/// that the session's own handlers never wait: they only keep the books and end
/// subscriptions with ``EventBus/tryUnsubscribe(_:)``.
enum SessionMessage: Sendable {
    /// A connection logged in as this user, with its sink already subscribed to the user's
    /// topic and `everyone` (`subscriptions`): from now on it receives the user's DMs and the
    /// server-wide pushes.
    case attach(BackendConnection, subscriptions: [BusSubscription<PushTopic>], ReplyTo<Void>)
    /// The connection closed or logged in as someone else: its joins and subscriptions end.
    case detach(connectionID: UInt64, ReplyTo<Void>)
    /// `JOIN`, with the connection's sink already subscribed to the room's topic.
    case join(connectionID: UInt64, RoomName, BusSubscription<PushTopic>, ReplyTo<Void>)
    /// `LEAVE`.
    case leave(connectionID: UInt64, RoomName, ReplyTo<Void>)
    /// `LOGOUT`: every connection bound to this token becomes anonymous and leaves its rooms.
    case revoke(tokenHash: [UInt8], ReplyTo<Void>)
    /// How many connections are attached (tests, STATS).
    case connections(ReplyTo<Int>)
}
