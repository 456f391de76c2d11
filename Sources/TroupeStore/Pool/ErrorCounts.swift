/// Failures counted by ``DatabaseError/Kind``: how many callers received each kind.
public struct ErrorCounts: Sendable, Hashable {
    public private(set) var uniqueViolation = 0
    public private(set) var timeout = 0
    /// Requests refused before they ran because a queue was full (kind `overloaded`).
    public private(set) var overloaded = 0
    public private(set) var unavailable = 0
    public private(set) var transient = 0
    public private(set) var incompatibleSchema = 0
    public private(set) var other = 0

    public init() {}

    /// All failures.
    public var total: Int { uniqueViolation + timeout + overloaded + unavailable + transient + incompatibleSchema + other }

    /// Counts one failure of `kind`.
    public mutating func record(_ kind: DatabaseError.Kind) {
        switch kind {
        case .uniqueViolation: uniqueViolation += 1
        case .timeout: timeout += 1
        case .overloaded: overloaded += 1
        case .unavailable: unavailable += 1
        case .transient: transient += 1
        case .incompatibleSchema: incompatibleSchema += 1
        case .other: other += 1
        }
    }
}
