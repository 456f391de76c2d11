/// One stored direct message: `[id, from, to, text, unix-millis]` in replies.
struct DirectRecord: Sendable, Hashable {
    let id: Int64
    let from: String
    let to: String
    let text: [UInt8]
    let at: Int64

    var reply: Reply { .array([.integer(id), .bulk(from), .bulk(to), .bulk(text), .integer(at)]) }
    var push: Push { .dm(from: from, to: to, id: id, text: text, at: at) }
}
