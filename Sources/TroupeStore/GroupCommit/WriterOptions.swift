public import Troupe

/// The bounds of a ``GroupCommitWriter``.
///
/// | setting | default | what it bounds |
/// | --- | --- | --- |
/// | `maxPending` | 10,000 | writes waiting for the next group; one more fails at once (`overloaded`) |
/// | `maxGroupSize` | 256 | writes in one transaction |
/// | `timeout` | 5 s | how long a group may wait for a pool connection (and retry) |
/// | `maxGroupsInFlight` | 1 | groups committing at once, each on its own connection |
///
/// With one group in flight, writes that arrive meanwhile form the next one: that is what
/// makes them share a commit, and SQLite has one writer at a time anyway (a second group
/// would only wait for its lock). PostgreSQL commits transactions in parallel: there a
/// group's statements cost a network round trip each, and two to four groups in flight
/// overlap those round trips. Each caller still waits for its own write, so one caller's
/// writes stay in order; writes of different callers never had an order.
public struct WriterOptions: Sendable {
    /// Writes waiting for the next group, at most.
    public let maxPending: Int
    /// Writes in one transaction, at most. Larger groups share one commit among more
    /// writes but hold the write lock longer.
    public let maxGroupSize: Int
    /// The deadline of each group's request to the pool.
    public let timeout: Duration
    /// Groups committing at once (each takes a pool connection).
    public let maxGroupsInFlight: Int

    /// - Throws: ``ConfigurationError`` for a count below 1 or a non-positive timeout.
    public init(
        maxPending: Int = 10_000,
        maxGroupSize: Int = 256,
        timeout: Duration = .seconds(5),
        maxGroupsInFlight: Int = 1
    ) throws(ConfigurationError) {
        if maxPending < 1 { throw .notPositive(setting: "writer max pending", value: maxPending) }
        if maxGroupSize < 1 { throw .notPositive(setting: "writer max group size", value: maxGroupSize) }
        if timeout <= .zero { throw .invalidDuration(setting: "writer timeout", value: timeout) }
        if maxGroupsInFlight < 1 { throw .notPositive(setting: "writer max groups in flight", value: maxGroupsInFlight) }
        self.maxPending = maxPending
        self.maxGroupSize = maxGroupSize
        self.timeout = timeout
        self.maxGroupsInFlight = maxGroupsInFlight
    }

    /// The defaults (cannot fail).
    public init() {
        // The defaults are valid by construction.
        try! self.init(maxPending: 10_000)
    }

    /// The writer's mailbox: every pending write plus control messages.
    var mailboxCapacity: Int { maxPending + 64 }
}
