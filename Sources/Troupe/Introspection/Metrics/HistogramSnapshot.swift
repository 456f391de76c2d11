/// A histogram's buckets, sum and count at one moment, with quantiles estimated from them.
public struct HistogramSnapshot: Sendable, Hashable {
    /// The finite bucket upper bounds, strictly increasing; `+Inf` is implied after them.
    public let upperBounds: [Double]
    /// Observations per bucket, not cumulative: `upperBounds.count + 1` entries, the last
    /// counting observations above every finite bound.
    public let bucketCounts: [UInt64]
    /// The sum of all observations.
    public let sum: Double
    /// The number of observations.
    public let count: UInt64

    /// A snapshot from its parts; `bucketCounts` has one entry more than `upperBounds`.
    public init(upperBounds: [Double], bucketCounts: [UInt64], sum: Double, count: UInt64) {
        self.upperBounds = upperBounds
        self.bucketCounts = bucketCounts
        self.sum = sum
        self.count = count
    }

    /// Observations at or below each bound, as Prometheus exposes them: one entry per
    /// finite bound, then the `+Inf` entry, which equals ``count``.
    public var cumulativeCounts: [UInt64] {
        var running: UInt64 = 0
        return bucketCounts.map { bucketCount in
            running &+= bucketCount
            return running
        }
    }

    /// The `q` quantile (`q` clamped to 0...1), estimated as Prometheus's
    /// `histogram_quantile` does: find the bucket holding the rank `q × count` and
    /// interpolate linearly between its lower and upper bound (the first bucket's lower
    /// bound is 0, or its upper bound if that is not positive). A rank in the `+Inf` bucket
    /// reports the largest finite bound, so the estimate never exceeds what the bounds can
    /// tell. Nil when there are no observations or `q` is NaN.
    public func quantile(_ q: Double) -> Double? {
        guard count > 0, !q.isNaN, bucketCounts.count == upperBounds.count + 1 else { return nil }
        let rank = Swift.min(Swift.max(q, 0), 1) * Double(count)
        var below: UInt64 = 0
        for (index, bucketCount) in bucketCounts.enumerated() {
            // An empty bucket cannot hold the rank, even when it is 0.
            guard bucketCount > 0, Double(below + bucketCount) >= rank else {
                below &+= bucketCount
                continue
            }
            guard index < upperBounds.count else { return upperBounds.last }
            let upper = upperBounds[index]
            let lower: Double
            if index > 0 {
                lower = upperBounds[index - 1]
            } else if upper > 0 {
                lower = 0
            } else {
                return upper
            }
            let fraction = (rank - Double(below)) / Double(bucketCount)
            return lower + (upper - lower) * Swift.max(fraction, 0)
        }
        return upperBounds.last
    }
}
