import Troupe

/// The pool actor: owns the connection threads, the wait queue, the retry backoffs, the
/// circuit breaker and the counters. ``DatabasePool`` is its façade.
///
/// # How a request flows
/// ```
/// caller ──submit──▶ pool actor ──idle slot?──▶ run on its thread (pipeToSelf task awaits)
///    ▲                  │ no: wait queue (bounded, deadline per request)
///    │                  ▼
///    └──result── connection thread ──report──▶ pool actor: slot idle, next waiter runs
/// ```
/// The connection thread hands the caller its typed result directly; the actor only learns
/// the outcome's kind (for metrics, retries and the breaker) and frees the slot.
///
/// # State
/// - slots: `id → thread + open`; the idle ones on a stack (the most recently used is
///   reused first, so surplus connections age and are closed after the idle timeout). That
///   stack is the one record of which slots are busy: a slot is busy exactly when it is not
///   on it (it was taken off to run a job and goes back when the job reports);
/// - `waiting`: FIFO of requests; `backingOff`: retries waiting out their delay. Together
///   at most ``PoolOptions/maxWaiters``;
/// - one `wake` timer at the earliest deadline or backoff end; one `idle` timer.
///
/// # Breaker
/// The actor holds Troupe's ``CircuitBreakerState`` itself (no message per call): every
/// attempt asks it for a permit and reports its outcome. `unavailable` (unreachable) and
/// `timeout` from a statement that ran (statement or lock timeout: a hung database) count
/// as failures; any other outcome proves the database answers. A request that never got a
/// connection before its deadline, or that was refused because ``PoolOptions/maxWaiters``
/// were waiting (`overloaded`), is not counted: that is the pool's saturation, not the
/// database's health. `closed ──N failures──▶ open
/// ──openDuration──▶ half-open`: the next request is the probe; its success closes the
/// circuit, its failure opens it again. While open, requests fail at once with
/// `unavailable`, and the moment it opens every waiting request fails too.
///
/// # Concurrency contract
/// A behavior: its state is touched only by its own incarnation, one message at a time.
/// It never blocks: every driver call happens on a connection's `BlockingThread`.
struct PoolBehavior: Behavior {
    typealias Message = PoolMessage

    private struct Slot {
        /// The connection's thread; its context is the connection. Dropping the last
        /// reference closes it (after the job in progress).
        let thread: BlockingThread<ConnectionSession>
        /// Stops the thread's connection from here: raised when the pool stops.
        let interrupt: ConnectionInterrupt
        var open = false
        /// When it last went idle (meaningful while it is on `idleSlots`).
        var idleSince: ClockInstant
    }

    private let configuration: DatabaseConfiguration
    private let options: PoolOptions

    /// This incarnation's number (its restart count): reports carry it.
    private var incarnation = 0
    private var slots: [Int: Slot] = [:]
    /// Idle slot ids; the last is the most recently used. Every other slot is busy.
    private var idleSlots: [Int] = []
    private var nextSlotID = 0
    /// A job waiting out a retry backoff; it asks the breaker again when the wait is over.
    private struct Retry {
        let due: ClockInstant
        let job: any PoolJob
        let purpose: JobPurpose
        let attempt: Int
    }

    private var waiting = WaitQueue()
    private var backingOff: [Retry] = []
    /// When the `wake` timer is due; nil when it is not armed.
    private var wakeDue: ClockInstant?
    private var idleCheckArmed = false
    private var metrics = PoolMetrics()
    private var random = SplitMix64(seed: 0)
    private var breaker: CircuitBreakerState
    /// The failure that last counted against the breaker, for error messages.
    private var lastFailure: DatabaseError?

    init(configuration: DatabaseConfiguration, options: PoolOptions) {
        self.configuration = configuration
        self.options = options
        breaker = CircuitBreakerState(configuration: options.breaker)
    }

    // MARK: - Lifecycle

    mutating func started(context: ActorContext<PoolMessage>) async throws {
        incarnation = context.restartCount
        random = SplitMix64(seed: options.randomSeed ?? context.system.configuration.randomSeed)
        // Permits of an earlier incarnation are stale in this one.
        breaker = CircuitBreakerState(configuration: options.breaker, instance: UInt64(context.restartCount))
        for _ in 0..<options.minConnections {
            // Opens the connection on its thread; a failure counts for the breaker.
            guard case .granted(let permit) = breaker.acquire(now: context.now) else { break }
            let slot: Int
            do {
                slot = try openSlot(context)
            } catch {
                // Requests will meet the same error, with their own callers to tell.
                release(permit, context)
                metrics.errors.record(error.kind)
                break
            }
            let warmUp = PoolRequest<Void>(submittedAt: context.now, deadline: context.now, retryable: false) { _ in }
            run(WaitQueue.Entry(job: warmUp, purpose: .warmUp, attempt: 0, permit: permit), on: slot, context)
        }
    }

    mutating func receive(_ message: PoolMessage, context: ActorContext<PoolMessage>) async throws {
        switch message {
        case .submit(let job):
            accept(job, context)
        case .finished(let report):
            finished(report, context)
        case .wake:
            wake(context)
        case .idleCheck:
            closeIdleConnections(context)
        case .metrics(let reply):
            reply.reply(snapshot())
        }
    }

    /// Fails everything still waiting and waits until every thread has closed its
    /// connection. The statements that were running have been interrupted already: the
    /// runtime cancels this incarnation's tasks before calling this, and the task awaiting
    /// each busy connection raises its interrupt switch when cancelled (see ``run(_:on:_:)``),
    /// so stopping waits for a rollback rather than for a slow query.
    mutating func stopping(context: ActorContext<PoolMessage>) async {
        let stopped = DatabaseError(
            .unavailable, reason: "the connection pool stopped before the request got a connection",
            remedy: "The pool is shutting down or restarting: retry once it is back (its supervisor restarts it after a failure)."
        )
        for entry in waiting.removeAll() { fail(entry.job, stopped) }
        for retry in backingOff { fail(retry.job, stopped) }
        backingOff.removeAll()
        let threads = slots.values.map(\.thread)
        // A job whose report never arrived (its task was cancelled before it started): the
        // switch keeps anything it would still run from reaching the database.
        for (id, slot) in slots where !idleSlots.contains(id) { slot.interrupt.raise() }
        slots.removeAll()
        idleSlots.removeAll()
        for thread in threads {
            // Refuses further jobs, lets the (interrupted) running one finish, closes the
            // connection on its thread and returns once the thread has exited.
            await thread.shutdown()
        }
    }

    // MARK: - Requests

    private mutating func accept(_ job: any PoolJob, _ context: ActorContext<PoolMessage>) {
        guard !job.isFinished else { return }
        let full = idleSlots.isEmpty && slots.count >= options.maxConnections
        if full && waiting.count + backingOff.count >= options.maxWaiters {
            metrics.queueFull += 1
            fail(job, queueFullError())
            return
        }
        guard let permit = permit(for: job, context) else { return }
        let entry = WaitQueue.Entry(job: job, purpose: .request, attempt: 0, permit: permit)
        let slot: Int?
        do {
            slot = try freeSlot(context)
        } catch {
            release(permit, context)
            fail(job, error)
            return
        }
        if let slot {
            run(entry, on: slot, context)
        } else {
            waiting.append(entry)
            metrics.peakWaiting = max(metrics.peakWaiting, waiting.count)
            armWake(at: job.deadline, context)
        }
    }

    /// The breaker's leave to run `job` now, or nil after failing it fast.
    private mutating func permit(for job: any PoolJob, _ context: ActorContext<PoolMessage>) -> CircuitBreakerState.Permit? {
        let before = breaker.phase
        let admission = breaker.acquire(now: context.now)
        // A half-open circuit whose probe never answered reopens when time says so.
        if breaker.phase == .open && before != .open { failWaitingBehindOpenCircuit(context) }
        switch admission {
        case .granted(let permit):
            return permit
        case .rejected(let retryAfter):
            metrics.breakerRejected += 1
            fail(job, breakerOpenError(retryAfter: retryAfter))
            return nil
        }
    }

    /// An idle slot, or a new one while below the maximum; nil when every connection is
    /// busy. The slot returned is busy (off the idle stack) until its job reports or it is
    /// put back.
    private mutating func freeSlot(_ context: ActorContext<PoolMessage>) throws(DatabaseError) -> Int? {
        if let idle = idleSlots.popLast() { return idle }
        if slots.count < options.maxConnections { return try openSlot(context) }
        return nil
    }

    /// Starts a connection's thread (it connects on its first job) as a new busy slot.
    private mutating func openSlot(_ context: ActorContext<PoolMessage>) throws(DatabaseError) -> Int {
        let id = nextSlotID
        let configuration = configuration
        let interrupt = ConnectionInterrupt()
        let thread: BlockingThread<ConnectionSession>
        do {
            // A queue of one is enough: the pool gives a thread its next job only after the
            // previous one reported back.
            thread = try BlockingThread(name: "troupe-db-\(id)", queueCapacity: 1, clock: context.clock) {
                ConnectionSession(configuration: configuration, interrupt: interrupt)
            }
        } catch {
            throw DatabaseError(
                .other, reason: "the pool could not start a connection thread: \(error)",
                remedy: "This is a bug in the pool (its thread settings are fixed): please report it. The request did not run."
            )
        }
        nextSlotID += 1
        slots[id] = Slot(thread: thread, interrupt: interrupt, idleSince: context.now)
        return id
    }

    /// Connections running a job now: every slot that is not idle.
    private var inUse: Int { slots.count - idleSlots.count }

    /// Hands `entry`'s job to `slot`'s thread; a task owned by this actor awaits the thread
    /// and reports back through the system lane (never lost to a full mailbox).
    private mutating func run(_ entry: WaitQueue.Entry, on slot: Int, _ context: ActorContext<PoolMessage>) {
        guard let thread = slots[slot]?.thread, let interrupt = slots[slot]?.interrupt else { return }
        // `slot` is off the idle stack (see `freeSlot`), so it counts as in use.
        metrics.peakInUse = max(metrics.peakInUse, inUse)
        if entry.purpose == .request && entry.attempt == 0 {
            metrics.waitTime.record(entry.job.submittedAt.duration(to: context.now))
        }
        let job = entry.job
        let purpose = entry.purpose
        let attempt = entry.attempt
        let permit = entry.permit
        let incarnation = incarnation
        let mayRetry = job.retryable && attempt + 1 < options.retry.maxAttempts
        // A probe's caller hears its outcome only after the breaker has counted it, so that
        // its next request finds the circuit closed (or open), not still half-open.
        let holdReply = permit.isProbe || job.holdsReply
        context.pipeToSelf({
            do {
                return try await withTaskCancellationHandler {
                    try await thread.run { session in
                        let outcome = job.run(on: session, mayRetry: mayRetry, holdReply: holdReply)
                        return JobReport(
                            incarnation: incarnation, slot: slot, job: job, purpose: purpose, attempt: attempt, permit: permit, outcome: outcome, connectionOpen: session.isOpen
                        )
                    }
                } onCancel: {
                    // The incarnation is ending (stop or restart) and waits for this task:
                    // interrupt the statement instead of waiting for it. Never blocks.
                    interrupt.raise()
                }
            } catch {
                // The thread refused the job (it is shutting down): it never ran.
                let failure = DatabaseError(.unavailable, reason: "the connection's thread is shutting down (\(error))")
                job.fail(failure)
                return JobReport(incarnation: incarnation, slot: slot, job: job, purpose: purpose, attempt: attempt, permit: permit, outcome: .failed(failure), connectionOpen: false)
            }
        }, map: { result in
            switch result {
            case .success(let report):
                return .finished(report)
            case .failure(let error):
                // The operation above catches everything; kept total rather than trapping.
                let failure = DatabaseError(.other, reason: "the connection job failed unexpectedly: \(error)")
                return .finished(
                    JobReport(
                        incarnation: incarnation, slot: slot, job: job, purpose: purpose, attempt: attempt, permit: permit, outcome: .failed(failure),
                        connectionOpen: false
                    )
                )
            }
        })
    }

    private mutating func finished(_ report: JobReport, _ context: ActorContext<PoolMessage>) {
        guard report.incarnation == incarnation, slots[report.slot] != nil else {
            report.job.deliver()
            return
        }
        assert(!idleSlots.contains(report.slot), "one report per job")
        slots[report.slot]?.open = report.connectionOpen
        slots[report.slot]?.idleSince = context.now
        idleSlots.append(report.slot)
        updateBreaker(with: report, context)
        report.job.deliver()
        settle(report, context)
        serveWaiting(context)
        armIdleCheck(context)
    }

    /// Counts the outcome, or schedules a retry.
    private mutating func settle(_ report: JobReport, _ context: ActorContext<PoolMessage>) {
        let isRequest = report.purpose == .request
        switch report.outcome {
        case .succeeded:
            if isRequest { metrics.succeeded += 1 }
        case .failed(let error):
            if isRequest { metrics.errors.record(error.kind) }
        case .abandoned:
            break
        case .retry(let error):
            let due = context.now.advanced(by: options.retry.delay(beforeRetry: report.attempt, random: &random))
            guard breaker.phase != .open, due < report.job.deadline, waiting.count + backingOff.count < options.maxWaiters else {
                fail(report.job, error)
                return
            }
            metrics.retries += 1
            backingOff.append(Retry(due: due, job: report.job, purpose: report.purpose, attempt: report.attempt + 1))
            armWake(at: due, context)
        }
    }

    /// Runs waiting jobs while connections are free, skipping those whose caller gave up
    /// and expiring those whose deadline passed.
    private mutating func serveWaiting(_ context: ActorContext<PoolMessage>) {
        let now = context.now
        while !waiting.isEmpty {
            let slot: Int
            do {
                guard let free = try freeSlot(context) else { return }
                slot = free
            } catch {
                // No connection can be started: the requests waiting for one would only
                // time out, without learning why.
                for entry in waiting.removeAll() {
                    release(entry.permit, context)
                    fail(entry.job, error)
                }
                return
            }
            var chosen: WaitQueue.Entry?
            while chosen == nil, let entry = waiting.popFirst() {
                if entry.job.isFinished {
                    release(entry.permit, context)
                    continue
                }
                if entry.job.deadline <= now {
                    expire(entry, context)
                    continue
                }
                chosen = entry
            }
            guard let chosen else {
                // Nothing runnable after all: the slot stays idle.
                idleSlots.append(slot)
                return
            }
            run(chosen, on: slot, context)
        }
    }

    // MARK: - Time

    /// Arms the `wake` timer for `due` unless it is armed for earlier already.
    private mutating func armWake(at due: ClockInstant, _ context: ActorContext<PoolMessage>) {
        if let armed = wakeDue, armed <= due { return }
        wakeDue = due
        context.startTimer("wake", after: max(.zero, context.now.duration(to: due)), message: .wake)
    }

    /// Retries whose backoff is over go to the front of the queue (they waited already) with
    /// a new permit; requests whose deadline passed fail; the timer is re-armed for what is
    /// next.
    private mutating func wake(_ context: ActorContext<PoolMessage>) {
        wakeDue = nil
        let now = context.now
        let due = backingOff.filter { $0.due <= now }.sorted { $0.due < $1.due }
        backingOff.removeAll { $0.due <= now }
        for retry in due.reversed() where !retry.job.isFinished {
            guard let permit = permit(for: retry.job, context) else { continue }
            waiting.prepend(WaitQueue.Entry(job: retry.job, purpose: retry.purpose, attempt: retry.attempt, permit: permit))
        }
        for entry in waiting.removeExpired(now: now) {
            if entry.job.isFinished {
                release(entry.permit, context)
            } else {
                expire(entry, context)
            }
        }
        serveWaiting(context)
        let next = [waiting.earliestDeadline, backingOff.lazy.map(\.due).min()].compactMap { $0 }.min()
        if let next { armWake(at: next, context) }
    }

    private mutating func expire(_ entry: WaitQueue.Entry, _ context: ActorContext<PoolMessage>) {
        release(entry.permit, context)
        metrics.deadlineExpired += 1
        fail(entry.job, deadlineError(entry.job))
    }

    private mutating func armIdleCheck(_ context: ActorContext<PoolMessage>) {
        guard !idleCheckArmed, slots.count > options.minConnections,
            let oldest = idleSlots.first, let slot = slots[oldest]
        else { return }
        idleCheckArmed = true
        let due = slot.idleSince.advanced(by: options.idleTimeout)
        context.startTimer("idle", after: max(.zero, context.now.duration(to: due)), message: .idleCheck)
    }

    /// Closes connections unused for the idle timeout, oldest first, down to the minimum.
    private mutating func closeIdleConnections(_ context: ActorContext<PoolMessage>) {
        idleCheckArmed = false
        let now = context.now
        while slots.count > options.minConnections, let oldest = idleSlots.first,
            let slot = slots[oldest], slot.idleSince.advanced(by: options.idleTimeout) <= now
        {
            idleSlots.removeFirst()
            // Dropping the thread closes it: the connection is closed on it as it exits.
            slots.removeValue(forKey: oldest)
        }
        armIdleCheck(context)
    }

    // MARK: - Breaker

    /// Reports the attempt's outcome to the breaker; if that opened the circuit, every
    /// request waiting behind the dead database fails now instead of at its deadline.
    private mutating func updateBreaker(with report: JobReport, _ context: ActorContext<PoolMessage>) {
        let outcome: CircuitBreakerState.Outcome
        switch report.outcome {
        case .failed(let error) where error.kind == .unavailable || error.kind == .timeout:
            // A statement that ran out of time (statement or lock timeout) is what a hung
            // database looks like: it accepts connections but does not finish the work.
            // (`overloaded` never counts: it is load, not the database's health. The pool's
            // own refusals never reach here, as they never got a permit or a connection.)
            lastFailure = error
            outcome = .failure
        case .abandoned:
            outcome = .ignored
        case .succeeded, .failed, .retry:
            // The database answered, even if with an error.
            outcome = .success
        }
        let before = breaker.phase
        breaker.record(outcome, for: report.permit, now: context.now)
        if breaker.phase == .open && before != .open { failWaitingBehindOpenCircuit(context) }
    }

    /// A permit that was granted but not used (the caller gave up, the deadline passed):
    /// frees its probe slot if it was one.
    private mutating func release(_ permit: CircuitBreakerState.Permit, _ context: ActorContext<PoolMessage>) {
        breaker.record(.ignored, for: permit, now: context.now)
    }

    private mutating func failWaitingBehindOpenCircuit(_ context: ActorContext<PoolMessage>) {
        // It has just opened: the first probe is a whole open duration away.
        let error = breakerOpenError(retryAfter: options.breaker.openDuration)
        for entry in waiting.removeAll() where entry.purpose == .request {
            if fail(entry.job, error) { metrics.breakerRejected += 1 }
        }
        for retry in backingOff {
            if fail(retry.job, error) { metrics.breakerRejected += 1 }
        }
        backingOff.removeAll()
    }

    // MARK: - Failures and counters

    @discardableResult
    private mutating func fail(_ job: any PoolJob, _ error: DatabaseError) -> Bool {
        guard job.fail(error) else { return false }
        metrics.errors.record(error.kind)
        return true
    }

    private func breakerOpenError(retryAfter: Duration?) -> DatabaseError {
        let last = lastFailure.map { " (last: \($0.reason))" } ?? ""
        let when = retryAfter.map { "in \($0)" } ?? "once the probe in flight answers"
        return DatabaseError(
            .unavailable,
            reason: "the database is considered down after \(options.breaker.failureThreshold) consecutive failures\(last); the pool's circuit breaker fails requests at once",
            remedy: "Check that the database is running and reachable. The pool lets a probe request through \(when) and resumes by itself when it succeeds."
        )
    }

    private func queueFullError() -> DatabaseError {
        DatabaseError(
            .overloaded,
            reason: "all \(options.maxConnections) connections are busy and \(options.maxWaiters) requests are already waiting",
            remedy: "The pool is saturated and did not run the request: retry later, shed load, or raise maxConnections/maxWaiters."
        )
    }

    private func deadlineError(_ job: any PoolJob) -> DatabaseError {
        DatabaseError(
            .timeout,
            reason: "no connection came free within \(job.submittedAt.duration(to: job.deadline)) (\(options.maxConnections) connections busy, \(waiting.count) requests waiting)",
            remedy: "The request did not run. Look for slow statements or long transactions holding connections, or raise maxConnections or the timeout."
        )
    }

    private func snapshot() -> PoolMetrics {
        var snapshot = metrics
        snapshot.connections = slots.count
        snapshot.openConnections = slots.values.filter(\.open).count
        snapshot.inUse = inUse
        snapshot.idle = idleSlots.count
        snapshot.waiting = waiting.count
        snapshot.backingOff = backingOff.count
        snapshot.breaker = breaker.metrics
        return snapshot
    }
}
