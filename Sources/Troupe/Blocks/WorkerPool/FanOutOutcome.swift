/// How one operation of a ``FanOut/settled(_:deadline:clock:)`` ended.
public enum FanOutOutcome<Value: Sendable>: Sendable {
    /// It returned this value.
    case success(Value)
    /// It threw this error (the others went on).
    case failure(any Error)
    /// It had not finished at the deadline and was cancelled.
    case timedOut

    /// The value, if it succeeded.
    public var value: Value? {
        if case .success(let value) = self { return value }
        return nil
    }
}
