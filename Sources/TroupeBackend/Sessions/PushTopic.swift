/// What a push is addressed to on the event bus.
enum PushTopic: Hashable, Sendable {
    /// Connections that joined a room.
    case room(RoomName)
    /// Every connection of one user (DMs).
    case user(UserName)
    /// Every logged-in connection (`unlocked`, `voting`).
    case everyone
}
