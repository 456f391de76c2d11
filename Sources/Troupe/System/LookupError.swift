/// Why ``ActorSystem/ref(at:as:)`` found no ref: nothing at the path, or an actor that takes
/// other messages. (``ActorSystem/lookup(_:as:)`` answers nil for both.)
public enum LookupError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No actor is at the path (never started there, or it left the tree).
    case notFound(ActorPath)
    /// An actor is at the path, but its messages are of another type: `expected` is the
    /// message type asked for, `actual` the one the actor takes (type names as Swift
    /// prints them; a supervisor takes `Never`).
    case wrongMessageType(ActorPath, expected: String, actual: String)

    public var description: String {
        switch self {
        case .notFound(let path): "no actor at \(path)"
        case .wrongMessageType(let path, let expected, let actual):
            "the actor at \(path) takes \(actual), not \(expected)"
        }
    }
}
