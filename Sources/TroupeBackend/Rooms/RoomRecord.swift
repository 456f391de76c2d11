/// One stored room message: `[id, room, user, text, unix-millis]` in replies.
struct RoomRecord: Sendable, Hashable {
    let id: Int64
    let room: RoomName
    let user: String
    let text: [UInt8]
    let at: Int64

    var reply: Reply { .array([.integer(id), .bulk(room.value), .bulk(user), .bulk(text), .integer(at)]) }
    var push: Push { .message(room: room.value, id: id, user: user, text: text, at: at) }
}
