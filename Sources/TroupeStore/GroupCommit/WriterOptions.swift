public import Troupe

/// The bounds of a ``GroupCommitWriter``.
///
/// | setting | default | what it bounds |
/// | --- | --- | --- |
/// | `maxPending` | 10,000 | writes waiting for the next group; one more fails at once (`timeout`) |
/// | `maxGroupSize` | 256 | writes in one transaction |
/// | `timeout` | 5 s | how long a group may wait for a pool connection (and retry) |
///
/// One group is in flight at a time: writes that arrive meanwhile form the next one. That
/// is what makes them share a commit, and SQLite has one writer at a time anyway.
public struct WriterOptions: Sendable {
    /// Writes waiting for the next group, at most.
    public let maxPending: Int
    /// Writes in one transaction, at most. Larger groups share one commit among more
    /// writes but hold the write lock longer.
    public let maxGroupSize: Int
    /// The deadline of each group's request to the pool.
    public let timeout: Duration

    /// - Throws: ``ConfigurationError`` for a count below 1 or a non-positive timeout.
    public init(maxPending: Int = 10_000, maxGroupSize: Int = 256, timeout: Duration = .seconds(5)) throws(ConfigurationError) {
        if maxPending < 1 { throw .notPositive(setting: "writer max pending", value: maxPending) }
        if maxGroupSize < 1 { throw .notPositive(setting: "writer max group size", value: maxGroupSize) }
        if timeout <= .zero { throw .invalidDuration(setting: "writer timeout", value: timeout) }
        self.maxPending = maxPending
        self.maxGroupSize = maxGroupSize
        self.timeout = timeout
    }

    /// The defaults (cannot fail).
    public init() {
        // The defaults are valid by construction.
        try! self.init(maxPending: 10_000)
    }

    /// The writer's mailbox: every pending write plus control messages.
    var mailboxCapacity: Int { maxPending + 64 }
}
