import TroupeBackend
import TroupeWire

extension WireValue {
    /// The wire shape of a backend reply (a map stays a map: the encoder flattens it in RESP2).
    init(_ reply: Reply) {
        switch reply {
        case .simple(let text): self = .simple(text)
        case .integer(let value): self = .integer(value)
        case .bulk(let bytes): self = .bulk(bytes)
        case .null: self = .null
        case .array(let elements): self = .array(elements.map(WireValue.init))
        case .map(let fields): self = .map(fields.map { WireValue.Field($0.key, WireValue($0.value)) })
        }
    }

    /// `-CODE message`.
    init(_ error: ErrorReply) {
        self = .error(code: error.code.rawValue, message: error.message)
    }

    /// A push: a RESP2 array or a RESP3 `>` push, its kind first.
    init(_ push: Push) {
        self = .push(push.elements.map(WireValue.init))
    }
}
