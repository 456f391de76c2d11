import Synchronization

/// One series of a gauge family: a value that goes up and down.
///
/// # Thread safety
/// Every method is safe from any thread or task and never blocks: the value is a `Double`
/// kept as its bit pattern in one atomic word, so ``set(_:)`` is one atomic store and
/// ``add(_:)`` a compare-and-exchange loop; neither touches the registry's lock.
public final class Gauge: Sendable {
    private let bits = Atomic<UInt64>(0.0.bitPattern)

    init() {}

    /// Replaces the value.
    public func set(_ value: Double) {
        bits.store(value.bitPattern, ordering: .relaxed)
    }

    /// Adds `delta` (negative to subtract).
    public func add(_ delta: Double) {
        var current = bits.load(ordering: .relaxed)
        while true {
            let next = (Double(bitPattern: current) + delta).bitPattern
            let (exchanged, original) = bits.weakCompareExchange(
                expected: current, desired: next, ordering: .relaxed
            )
            if exchanged { return }
            current = original
        }
    }

    /// The value now.
    public var value: Double { Double(bitPattern: bits.load(ordering: .relaxed)) }
}
