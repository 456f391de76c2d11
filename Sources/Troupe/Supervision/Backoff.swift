/// Delay before restarting a child that keeps failing: exponential, capped, with jitter.
///
/// The `n`-th restart of a child within the intensity period waits
/// `min(maximum, initial × 2ⁿ) × (1 − jitter × r)`, with `r` uniform in `[0, 1)` from the
/// system's seeded generator (so a seeded test sees exact, repeatable delays).
public struct Backoff: Sendable, Hashable {
    /// The delay before a child's first restart within the intensity period (before jitter);
    /// positive.
    public let initial: Duration
    /// The cap on the doubling delay (before jitter); at least `initial`.
    public let maximum: Duration
    /// Fraction of the delay that is randomised, in `0...1`.
    public let jitter: Double

    /// - Throws: ``ConfigurationError`` if a duration is not positive, `maximum < initial`,
    ///   or `jitter` is outside `0...1`.
    public init(initial: Duration, maximum: Duration, jitter: Double = 0.2) throws(ConfigurationError) {
        try ConfigurationError.requirePositive(initial, "backoff initial delay")
        try ConfigurationError.requirePositive(maximum, "backoff maximum delay")
        if maximum < initial { throw .invalidDuration(setting: "backoff maximum (at least the initial delay)", value: maximum) }
        if !(0...1).contains(jitter) { throw .outOfRange(setting: "backoff jitter", value: jitter, range: 0...1) }
        self.initial = initial
        self.maximum = maximum
        self.jitter = jitter
    }

    /// The delay before restart number `attempt` (0 for the first), using `random` for jitter.
    func delay(attempt: Int, random: inout SplitMix64) -> Duration {
        var base = initial
        var doublings = attempt
        while doublings > 0 && base < maximum {
            base = base * 2
            doublings -= 1
        }
        if base > maximum { base = maximum }
        guard jitter > 0 else { return base }
        let unit = Double(random.next() >> 11) / Double(1 << 53)
        return base * (1 - jitter * unit)
    }
}
