/// Equality of ask errors, so that a test can say which one it expects:
/// `#expect(throws: AskError.timedOut(after: .seconds(1))) { try await ref.ask(...) }`.
extension AskError: Equatable {
    /// The same case with equal values.
    ///
    /// ``failed(_:)`` holds any error: two are equal when both errors have the same dynamic
    /// type and are equal by that type's `==` if it is `Equatable`, or else have the same
    /// description (`String(describing:)`). Errors of different types are never equal, even
    /// with the same description.
    public static func == (lhs: AskError, rhs: AskError) -> Bool {
        // A switch over `lhs` alone stays exhaustive: a new case must say how it compares.
        switch lhs {
        case .timedOut(let after): if case .timedOut(after) = rhs { return true }
        case .mailboxFull(let path): if case .mailboxFull(path) = rhs { return true }
        case .dropped(let path): if case .dropped(path) = rhs { return true }
        case .stopped(let path): if case .stopped(path) = rhs { return true }
        case .noReply(let path): if case .noReply(path) = rhs { return true }
        case .cancelled: if case .cancelled = rhs { return true }
        case .failed(let error): if case .failed(let other) = rhs { return sameError(error, other) }
        case .notPlaced(let ref): if case .notPlaced(ref) = rhs { return true }
        case .deadlock(let cycle): if case .deadlock(cycle) = rhs { return true }
        }
        return false
    }

    private static func sameError(_ lhs: any Error, _ rhs: any Error) -> Bool {
        guard ObjectIdentifier(type(of: lhs)) == ObjectIdentifier(type(of: rhs)) else { return false }
        if let lhs = lhs as? any Equatable { return equal(lhs, rhs) }
        return String(describing: lhs) == String(describing: rhs)
    }

    /// `lhs == rhs` for an `Equatable` `lhs` whose type `rhs` was checked to have.
    private static func equal<E: Equatable>(_ lhs: E, _ rhs: any Error) -> Bool {
        (rhs as? E) == lhs
    }
}
