/// A message the server sends a connection without a request (PROTOCOL.md, "Pushes"). The
/// front encodes it as a RESP2 array or a RESP3 push whose first element names the kind.
public enum Push: Sendable, Hashable {
    /// A room message, to every connection that joined the room (the sender's included).
    case message(room: String, id: Int64, user: String, text: [UInt8], at: Int64)
    /// A direct message, to every connection of both participants.
    case dm(from: String, to: String, id: Int64, text: [UInt8], at: Int64)
    /// A (node, level) unlocked, to every logged-in connection.
    case unlocked(node: String, level: Int, at: Int64)
    /// A voting session opened, to every logged-in connection.
    case voting(endsAt: Int64, candidates: [String])

    /// The kind, the push's first element.
    public var kind: String {
        switch self {
        case .message: "message"
        case .dm: "dm"
        case .unlocked: "unlocked"
        case .voting: "voting"
        }
    }

    /// The elements after the kind, in the order PROTOCOL.md lists them.
    public var fields: [Reply] {
        switch self {
        case .message(let room, let id, let user, let text, let at):
            [.bulk(room), .integer(id), .bulk(user), .bulk(text), .integer(at)]
        case .dm(let from, let to, let id, let text, let at):
            [.bulk(from), .bulk(to), .integer(id), .bulk(text), .integer(at)]
        case .unlocked(let node, let level, let at):
            [.bulk(node), .int(level), .integer(at)]
        case .voting(let endsAt, let candidates):
            [.integer(endsAt)] + candidates.map { .bulk($0) }
        }
    }

    /// The whole push as one array: the kind, then ``fields``.
    public var elements: [Reply] { [.bulk(kind)] + fields }
}
