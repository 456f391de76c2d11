import Synchronization
import Troupe

/// The group-commit writer's actor: collects writes while a group's transaction is in
/// flight, and sends them as the next group when it ends.
///
/// ```
///  writes ──▶ pending (bounded) ──group of ≤ maxGroupSize──▶ pool.transaction {
///                                                              savepoint; write 1; release
///                                                              savepoint; write 2 ✗ rollback to it
///                                                              ...
///                                                            } COMMIT ──▶ each caller its own outcome
/// ```
///
/// One group is in flight at a time (by default), so every write that arrives during a
/// commit shares the next one: under load, groups grow to what arrives per commit, and one
/// fsync serves them all. Alone, a write is a group of one and waits for nothing.
///
/// # Failures
/// A write's own failure (a unique violation, another constraint, bad SQL) is reported to
/// that caller only: the group runs again with a savepoint per write, and the failing one
/// is rolled back to its savepoint while the others commit. A failure of the transaction itself
/// (`transient`: the pool retries the whole group; `unavailable`; a failed commit) fails
/// every write of the group with it. No caller hears of success before the commit.
///
/// # Concurrency contract
/// A behavior: state touched only by its incarnation. It never blocks: groups run on the
/// pool's connection threads, awaited by a task this actor owns.
struct WriterBehavior: Behavior {
    typealias Message = WriterMessage

    private let pool: DatabasePool
    private let options: WriterOptions
    private var incarnation = 0
    private var pending: [any GroupWrite] = []
    /// Groups in flight, and the writes in them.
    private var groupsInFlight = 0
    private var inFlight = 0
    private var metrics = WriterMetrics()

    init(pool: DatabasePool, options: WriterOptions) {
        self.pool = pool
        self.options = options
    }

    mutating func started(context: ActorContext<WriterMessage>) async throws {
        incarnation = context.restartCount
    }

    mutating func receive(_ message: WriterMessage, context: ActorContext<WriterMessage>) async throws {
        switch message {
        case .write(let write):
            guard pending.count < options.maxPending else {
                metrics.queueFull += 1
                metrics.failedWrites += 1
                write.fail(
                    DatabaseError(
                        .overloaded, reason: "\(options.maxPending) writes are already waiting for the group-commit writer",
                        remedy: "The database cannot keep up: the write did not run. Retry later or shed load."
                    )
                )
                return
            }
            pending.append(write)
            startGroup(context)
        case .groupFinished(let report):
            guard report.incarnation == incarnation else { return }
            groupsInFlight -= 1
            inFlight -= report.size
            record(report)
            startGroup(context)
        case .metrics(let reply):
            var snapshot = metrics
            snapshot.pending = pending.count
            snapshot.inFlight = inFlight
            reply.reply(snapshot)
        }
    }

    /// Writes still pending fail; a group in flight finishes on its own (its task reports
    /// to its callers directly).
    mutating func stopping(context: ActorContext<WriterMessage>) async {
        let stopped = DatabaseError(
            .unavailable, reason: "the group-commit writer stopped before the write joined a group",
            remedy: "The writer is shutting down or restarting: the write did not run; retry once it is back."
        )
        for write in pending { write.fail(stopped) }
        pending.removeAll()
    }

    /// Sends the next groups while fewer than the limit are in flight.
    private mutating func startGroup(_ context: ActorContext<WriterMessage>) {
        while groupsInFlight < options.maxGroupsInFlight && !pending.isEmpty {
            sendGroup(context)
        }
    }

    private mutating func sendGroup(_ context: ActorContext<WriterMessage>) {
        var claimed: [any GroupWrite] = []
        var taken = 0
        while taken < pending.count && claimed.count < options.maxGroupSize {
            let write = pending[taken]
            taken += 1
            // A caller that gave up before its write joined a group: skip it.
            if write.claim() { claimed.append(write) }
        }
        pending.removeFirst(taken)
        guard !claimed.isEmpty else { return }
        let group = claimed
        groupsInFlight += 1
        inFlight += group.count
        let pool = pool
        let timeout = options.timeout
        let incarnation = incarnation
        context.pipeToSelf({
            await Self.commit(group, pool: pool, timeout: timeout, incarnation: incarnation)
        }, map: { result in
            switch result {
            case .success(let report):
                return .groupFinished(report)
            case .failure(let error):
                // `commit` catches everything; kept total rather than trapping.
                return .groupFinished(
                    GroupReport(incarnation: incarnation, size: group.count, failedAlone: 0, isolated: false, failure: DatabaseError(.other, reason: "\(error)"))
                )
            }
        })
    }

    /// Runs one group as one transaction on a pooled connection, then tells each caller.
    ///
    /// Optimistic first: the writes run one after the other with no savepoints, one round
    /// trip each. If one of them fails on its own, that attempt is rolled back and the group
    /// runs again with a savepoint around each write (two more round trips each), where the
    /// failure is undone alone. Bad writes are rare; savepoints on every write would
    /// triple the round trips to PostgreSQL for all of them.
    private static func commit(_ group: [any GroupWrite], pool: DatabasePool, timeout: Duration, incarnation: Int) async -> GroupReport {
        var isolated = false
        while true {
            let abandoned = AbandonedAttempt()
            let mode = isolated
            do throws(DatabaseError) {
                // Retryable: the unit is the whole transaction.
                let failedAlone = try await pool.submit(retryable: true, timeout: timeout) { connection throws(DatabaseError) -> Int in
                    let failedAlone = try connection.transaction { () throws(DatabaseError) -> Int in
                        var failed = 0
                        for write in group {
                            guard let failure = try write.stage(on: connection, isolated: mode) else { continue }
                            guard mode else {
                                // Without a savepoint the failure may have aborted the
                                // transaction (PostgreSQL): give this attempt up and run the
                                // group isolated.
                                abandoned.mark()
                                throw failure
                            }
                            failed += 1
                        }
                        return failed
                    }
                    // Committed: the callers hear of it right here, on the connection's
                    // thread, while the report travels back to the writer. By the time the
                    // writer starts its next group, their next writes have arrived.
                    for write in group { write.publish() }
                    return failedAlone
                }
                return GroupReport(incarnation: incarnation, size: group.count, failedAlone: failedAlone, isolated: mode, failure: nil)
            } catch {
                if abandoned.isMarked && !mode {
                    isolated = true
                    continue
                }
                for write in group { write.fail(error) }
                return GroupReport(incarnation: incarnation, size: group.count, failedAlone: 0, isolated: mode, failure: error)
            }
        }
    }

    private mutating func record(_ report: GroupReport) {
        if report.isolated { metrics.isolatedGroups += 1 }
        metrics.groupSizes[report.size, default: 0] += 1
        metrics.largestGroup = max(metrics.largestGroup, report.size)
        if report.failure != nil {
            metrics.failedTransactions += 1
            metrics.failedWrites += report.size
        } else {
            metrics.transactions += 1
            metrics.writes += report.size - report.failedAlone
            metrics.failedWrites += report.failedAlone
        }
    }
}

/// Set by a group attempt that gave up because one write failed on its own (so the writer
/// runs the group again, isolated), as opposed to a failure of the whole group.
private final class AbandonedAttempt: Sendable {
    private let marked = Atomic<Bool>(false)

    func mark() { marked.store(true, ordering: .releasing) }

    var isMarked: Bool { marked.load(ordering: .acquiring) }
}
