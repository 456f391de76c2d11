/// Why an event bus request failed.
public enum EventBusError: Error, Sendable, CustomStringConvertible {
    /// The bus's actor could not be asked: stopped, overloaded, or the caller was
    /// cancelled while asking.
    case unavailable(AskError)
    /// The bus's spec has not been placed in a tree yet.
    case notStarted

    public var description: String {
        switch self {
        case .unavailable(let error): "event bus unavailable: \(error)"
        case .notStarted: "the event bus has not been placed in an actor tree"
        }
    }
}
