/// A point in time on an ``ActorClock``: how long after the clock's origin it is.
///
/// Every clock the runtime uses, real or manual, counts from its own origin, so instants
/// from two different clocks must not be compared.
public struct ClockInstant: InstantProtocol, Sendable, Hashable, CustomStringConvertible {
    /// Time elapsed since the clock's origin.
    public var offset: Duration

    /// The instant `offset` after the clock's origin.
    public init(offset: Duration) {
        self.offset = offset
    }

    /// The clock's origin.
    public static let zero = ClockInstant(offset: .zero)

    /// The instant `duration` later (earlier if negative) on the same clock.
    public func advanced(by duration: Duration) -> ClockInstant {
        ClockInstant(offset: offset + duration)
    }

    /// The time from this instant to `other`; negative if `other` is earlier.
    public func duration(to other: ClockInstant) -> Duration {
        other.offset - offset
    }

    public static func < (lhs: ClockInstant, rhs: ClockInstant) -> Bool {
        lhs.offset < rhs.offset
    }

    public var description: String { "t+\(offset)" }

    /// Whole nanoseconds since the origin (saturating), for heaps and histograms.
    package var nanoseconds: Int64 {
        offset.nanosecondsSaturating
    }
}

extension Duration {
    /// The duration in whole nanoseconds, saturating at the bounds of `Int64`.
    package var nanosecondsSaturating: Int64 {
        let (seconds, attoseconds) = components
        let (fromSeconds, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (total, overflow2) = fromSeconds.addingReportingOverflow(attoseconds / 1_000_000_000)
        if overflow2 { return seconds < 0 ? .min : .max }
        return total
    }

    /// Whole milliseconds, rounded up, so that a "retry after" hint is never too early.
    package var millisecondsRoundedUp: Int64 {
        let nanos = nanosecondsSaturating
        return nanos <= 0 ? 0 : (nanos + 999_999) / 1_000_000
    }
}
