import Troupe
import TroupeStore

/// What a room actor is asked.
enum RoomMessage: Sendable {
    /// `SAY`: replied with the message id once the message is durably stored.
    case say(user: UserName, userID: Int64, text: [UInt8], ReplyTo<Int64>)
    /// `HISTORY`: the last `count` messages, oldest first.
    case history(count: Int, ReplyTo<[RoomRecord]>)
    /// A batch of messages committed (or not): from the group-commit writer via pipeToSelf.
    case committed([RoomBehavior.Pending], Result<[Int64], any Error>)
}
