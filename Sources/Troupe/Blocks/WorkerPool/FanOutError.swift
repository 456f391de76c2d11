/// Why a fail-fast ``FanOut/all(_:deadline:clock:)`` returned no results.
public enum FanOutError: Error, Sendable, CustomStringConvertible {
    /// Operation `index` threw `error` first; the others were cancelled.
    case failed(index: Int, any Error)
    /// The deadline passed with `completed` of `total` operations done; the rest were
    /// cancelled.
    case deadlineExceeded(completed: Int, total: Int)
    /// The calling task was cancelled (and with it every operation).
    case cancelled

    public var description: String {
        switch self {
        case .failed(let index, let error): "operation \(index) failed: \(error)"
        case .deadlineExceeded(let completed, let total): "deadline passed with \(completed) of \(total) operations done"
        case .cancelled: "the fan-out was cancelled"
        }
    }
}
