/// A snapshot of a ``GroupCommitWriter``'s counters.
public struct WriterMetrics: Sendable, Hashable {
    /// Groups committed (one transaction each).
    public var transactions = 0
    /// Groups whose transaction failed as a whole (every write in it failed).
    public var failedTransactions = 0
    /// Writes committed.
    public var writes = 0
    /// Writes that failed: alone (their own constraint violation) or with their group.
    public var failedWrites = 0
    /// Groups run again with a savepoint per write because one of their writes failed on
    /// its own (the optimistic attempt without savepoints was rolled back).
    public var isolatedGroups = 0
    /// Writes refused because `maxPending` were already waiting.
    public var queueFull = 0
    /// Writes waiting for the next group now.
    public var pending = 0
    /// Writes in the groups in flight now (0 when none is).
    public var inFlight = 0
    /// Committed and failed groups by size: `groupSizes[n]` groups had `n` writes.
    public var groupSizes: [Int: Int] = [:]
    /// The largest group so far.
    public var largestGroup = 0

    public init() {}
}
