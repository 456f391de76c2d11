/// One series of a histogram family: observations counted into fixed buckets, with their
/// sum and count.
///
/// Bucket `i` counts observations `v` with `upperBounds[i-1] < v <= upperBounds[i]`; one last
/// bucket (`+Inf`) counts the rest. The bounds are fixed when the family is registered, so
/// a histogram's memory never grows. NaN observations are ignored (they would turn the sum
/// into NaN for ever).
///
/// # Thread safety
/// Every method is safe from any thread or task. The bucket is found outside any lock (the
/// bounds never change); the counts, sum and count are updated together under the
/// histogram's own pthread lock, held for a few instructions and never the registry's, so a
/// snapshot never sees a count that disagrees with its buckets.
// Unchecked Sendable: `bucketCounts`, `sum` and `count` are only accessed under `lock`;
// `upperBounds` is immutable.
public final class Histogram: @unchecked Sendable {
    /// Bucket upper bounds for request latencies in seconds: 100 µs to 10 s, about three
    /// buckets per decade.
    public static let defaultBuckets: [Double] = [
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]

    /// The finite bucket upper bounds, strictly increasing; `+Inf` is implied after them.
    public let upperBounds: [Double]
    private let lock = Lock()
    /// Observations per bucket (not cumulative); `upperBounds.count + 1` entries, the last
    /// for `+Inf`.
    private var bucketCounts: [UInt64]
    private var sum: Double = 0
    private var count: UInt64 = 0

    /// `upperBounds` must already be validated: finite, strictly increasing, non-empty.
    init(upperBounds: [Double]) {
        self.upperBounds = upperBounds
        bucketCounts = Array(repeating: 0, count: upperBounds.count + 1)
    }

    /// Records one observation of `duration`, in seconds.
    public func observe(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        // Dividing by 1e18 (exact as a Double) rounds once, so 125 ms is exactly 0.125.
        observe(Double(seconds) + Double(attoseconds) / 1e18)
    }

    /// Records one observation, in the unit of the bounds (seconds for the default bounds).
    public func observe(_ value: Double) {
        guard !value.isNaN else { return }
        let index = bucketIndex(for: value)
        lock.withLock {
            bucketCounts[index] &+= 1
            sum += value
            count &+= 1
        }
    }

    /// The counts, sum and count now, read together.
    public var snapshot: HistogramSnapshot {
        let (counts, sum, count) = lock.withLock { (bucketCounts, self.sum, self.count) }
        return HistogramSnapshot(upperBounds: upperBounds, bucketCounts: counts, sum: sum, count: count)
    }

    /// The first bucket whose bound is at least `value` (binary search), or the `+Inf` bucket.
    private func bucketIndex(for value: Double) -> Int {
        var low = 0
        var high = upperBounds.count
        while low < high {
            let middle = (low + high) / 2
            if upperBounds[middle] >= value { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
