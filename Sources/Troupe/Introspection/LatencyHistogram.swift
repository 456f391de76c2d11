/// A histogram of durations in power-of-two buckets of nanoseconds.
///
/// Bucket `i` counts samples in `[2^i, 2^(i+1))` ns, for `i` in `0..<40` (up to about 18
/// minutes; longer samples land in the last bucket, and samples under 1 ns in the first). Quantiles are reported as the upper
/// bound of the bucket where they fall, so they overestimate by at most 2×, never under.
/// An empty histogram allocates nothing.
public struct LatencyHistogram: Sendable, Hashable {
    /// Number of buckets.
    public static let bucketCount = 40

    /// Sample counts per bucket; empty until the first sample.
    public private(set) var buckets: [UInt64] = []
    /// Number of samples.
    public private(set) var count: UInt64 = 0

    /// An empty histogram; it allocates its buckets on the first sample.
    public init() {}

    /// Adds one sample.
    public mutating func record(nanoseconds: Int64) {
        if buckets.isEmpty { buckets = Array(repeating: 0, count: Self.bucketCount) }
        buckets[Self.bucket(for: nanoseconds)] &+= 1
        count &+= 1
    }

    /// Adds one sample.
    public mutating func record(_ duration: Duration) {
        record(nanoseconds: duration.nanosecondsSaturating)
    }

    /// Adds every sample of `other`.
    public mutating func merge(_ other: LatencyHistogram) {
        guard other.count > 0 else { return }
        if buckets.isEmpty { buckets = Array(repeating: 0, count: Self.bucketCount) }
        for index in 0..<Self.bucketCount { buckets[index] &+= other.buckets[index] }
        count &+= other.count
    }

    /// The `q` quantile (0...1) as a bucket's upper bound; nil when there are no samples.
    public func quantile(_ q: Double) -> Duration? {
        guard count > 0 else { return nil }
        let rank = Swift.max(1, UInt64((Double(count) * Swift.min(Swift.max(q, 0), 1)).rounded(.up)))
        var seen: UInt64 = 0
        for (index, bucketCount) in buckets.enumerated() {
            seen &+= bucketCount
            if seen >= rank { return .nanoseconds(Self.upperBound(of: index)) }
        }
        return .nanoseconds(Self.upperBound(of: Self.bucketCount - 1))
    }

    static func bucket(for nanoseconds: Int64) -> Int {
        guard nanoseconds > 1 else { return 0 }
        let index = 63 - UInt64(nanoseconds).leadingZeroBitCount
        return Swift.min(index, bucketCount - 1)
    }

    static func upperBound(of bucket: Int) -> Int64 {
        Int64(1) << (bucket + 1)
    }
}
