/// Why one value was refused: what was expected, in words for the operator (e.g. `expected an
/// integer from 0 to 65535`). The flag parser wraps it in ``CLIError/badValue(flag:value:reason:environment:)``.
public struct ValueError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was expected, or what is wrong.
    public let reason: String

    /// An error saying `reason`.
    public init(_ reason: String) { self.reason = reason }

    /// The reason.
    public var description: String { reason }
}
