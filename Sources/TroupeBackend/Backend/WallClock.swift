import Glibc
public import Troupe

/// Where the backend reads the time of day: message times, unlock times and token expiry
/// are Unix milliseconds. Separate from the monotonic ``ActorClock`` that drives timers and
/// deadlines, and injectable like it, so a test moves both with one `ManualClock`.
///
/// # Concurrency contract
/// `Sendable`; ``unixMillis()`` may be called from any thread and never blocks.
public struct WallClock: Sendable {
    private let read: @Sendable () -> Int64

    /// A wall clock that reads `read`.
    public init(_ read: @escaping @Sendable () -> Int64) {
        self.read = read
    }

    /// Milliseconds since the Unix epoch now.
    public func unixMillis() -> Int64 { read() }

    /// The system's real-time clock (`CLOCK_REALTIME`).
    public static let system = WallClock {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000 + Int64(spec.tv_nsec) / 1_000_000
    }

    /// A wall clock that reads `unixMillis` at `clock`'s current instant and moves with
    /// `clock` from there: with a `ManualClock`, advancing it moves both clocks together.
    public static func following(_ clock: any ActorClock, from unixMillis: Int64) -> WallClock {
        let origin = clock.now
        return WallClock {
            let elapsed = origin.duration(to: clock.now)
            let (seconds, attoseconds) = elapsed.components
            return unixMillis + seconds * 1_000 + attoseconds / 1_000_000_000_000_000
        }
    }
}
