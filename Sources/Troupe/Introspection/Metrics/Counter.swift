import Synchronization

/// One series of a counter family: a count that only goes up.
///
/// # Thread safety
/// Every method is safe from any thread or task and never blocks: the count is one atomic
/// integer, so ``increment(by:)`` costs one atomic add and never touches the registry's
/// lock. Keep the handle (from ``MetricFamily/labels(_:)-(String...)``) where the hot path
/// can reach it instead of looking it up per event.
public final class Counter: Sendable {
    private let count = Atomic<Int>(0)

    init() {}

    /// Adds `amount` (default 1). A negative amount is ignored, because a counter never goes
    /// down; the count wraps at `Int.max` rather than trapping.
    public func increment(by amount: Int = 1) {
        guard amount > 0 else { return }
        count.wrappingAdd(amount, ordering: .relaxed)
    }

    /// The count now.
    public var value: Int { count.load(ordering: .relaxed) }
}
