/// A cell with a user lane for `Message`: what an ``ActorRef`` points at.
///
/// Producers call ``trySend(_:)`` / ``send(_:)`` from any task. The consumer is the cell's
/// current incarnation, which calls ``takeWork(batch:system:report:)`` and, when there is
/// none, ``parkUntilWork()``.
///
/// The fast paths are inlinable so they are specialized for the concrete message type in
/// the module that sends or runs the actor; the slow paths (waiting for room, closing)
/// stay out of line.
@usableFromInline
// Unchecked Sendable: `user`, `processed` and `latency` are guarded by `lock`;
// `leftovers` and `admittedScratch` are owned by the running incarnation's task, and
// `leftovers` between incarnations by the parent's (see each; incarnations of one cell
// never overlap: the next starts after the previous ended).
class ActorCell<Message: Sendable>: CellBase, @unchecked Sendable {

    /// `@exclusivity(unchecked)` here and below: guarded by `lock` (or owned by the one
    /// running incarnation), so the dynamic exclusivity check is redundant on the hot path.
    @usableFromInline @exclusivity(unchecked) final var user: UserQueue<Message>
    @usableFromInline let batchSize: Int
    @usableFromInline let mailbox: MailboxConfiguration

    // Guarded by `lock`: counters published by the consumer at batch boundaries.
    @usableFromInline @exclusivity(unchecked) final var processed = 0
    @usableFromInline @exclusivity(unchecked) final var latency = LatencyHistogram()

    /// Messages taken from the mailbox but not yet handled when the last incarnation ended
    /// (it failed mid-batch); the next incarnation handles them first. Owned by the running
    /// incarnation's task (it writes them as it ends, the next takes them as it starts);
    /// between incarnations, by the parent's incarnation task, which reads them to decide
    /// (``hasMessagesForNextIncarnation``) or dead-letters them when it terminates this
    /// cell. Checked with ``assertOwnedByIncarnation(orBetweenIncarnations:_:file:line:)``
    /// off the message loop.
    @usableFromInline @exclusivity(unchecked) final var leftovers: [Message] = []
    /// Senders admitted by one `takeWork`, resumed after the lock is released. Owned by the
    /// running incarnation's task, and only inside `takeWork` (the message path: unchecked).
    @usableFromInline @exclusivity(unchecked) final var admittedScratch: [UnsafeContinuation<SendOutcome, Never>] = []

    // Immediate turns (see ``ImmediateTurns``).
    /// Runs one message on the sender's thread; set by ``BehaviorCell`` (nil: never).
    @usableFromInline let immediateTurn: ImmediateTurn<Message>?
    /// Set once the behavior declined a message with the default
    /// ``Behavior/receiveImmediately(_:context:)``: it never handles one at once, so
    /// senders stop offering. Written under `lock` by whoever holds the actor's turn (so
    /// that holder may read it without the lock: nobody else writes it); senders read it
    /// under `lock`.
    @usableFromInline @exclusivity(unchecked) final var immediateTurnsDeclined = false
    /// Guarded by `lock`: set while an injected fault counts down (its countdown lives in
    /// the loop, which must see every message); cleared by the next incarnation.
    @usableFromInline @exclusivity(unchecked) final var immediateTurnsPaused = false
    /// Guarded by `lock`: an immediate turn ended needing the loop (the handler stopped the
    /// actor, or threw), so the parked consumer must return even with no message to take.
    @usableFromInline @exclusivity(unchecked) final var turnNeedsLoop = false

    @usableFromInline
    init(
        path: ActorPath,
        system: ActorSystem,
        parent: CellBase?,
        restart: RestartType,
        shutdown: ShutdownPolicy,
        mailbox: MailboxConfiguration,
        immediateTurn: ImmediateTurn<Message>? = nil
    ) {
        self.mailbox = mailbox
        self.immediateTurn = immediateTurn
        self.user = UserQueue(capacity: mailbox.capacity, policy: mailbox.overflow)
        self.batchSize = mailbox.batchSize
        super.init(path: path, system: system, parent: parent, restart: restart, shutdown: shutdown)
    }

    // MARK: Producers

    /// Offers `message` without ever suspending.
    @inlinable
    final func trySend(_ message: Message) -> SendOutcome {
        lock.lock()
        if let parked = takeImmediateTurnLocked() {
            lock.unlock()
            runImmediateTurn(message, parked: parked)
            return .enqueued
        }
        let offer = user.offer(message, mayWait: false)
        let wake = takeConsumerIfEnqueued(offer)
        lock.unlock()
        wake?.wake(self)
        return settle(offer)
    }

    /// Offers `message`, waiting for room if the policy is `suspend`: up to the policy's
    /// timeout, and at most `waitLimit` (an ask's deadline covers its wait for room).
    @inlinable
    final nonisolated(nonsending) func send(_ message: Message, waitLimit: Duration? = nil) async -> SendOutcome {
        lock.lock()
        if let parked = takeImmediateTurnLocked() {
            lock.unlock()
            runImmediateTurn(message, parked: parked)
            return .enqueued
        }
        let offer = user.offer(message, mayWait: true)
        let wake = takeConsumerIfEnqueued(offer)
        lock.unlock()
        wake?.wake(self)
        if case .mustWait(let message) = offer {
            return await park(message, waitLimit: waitLimit).0
        }
        return settle(offer)
    }

    /// Delivers `message` without suspending (in an immediate turn, or into the mailbox),
    /// or hands it back if the policy is `suspend` and the lane is full: the caller then
    /// waits for room with ``park(_:waitLimit:handBackIfClosed:)``, as ``send(_:waitLimit:)``
    /// does. An ask uses this so that a request answered at once never awaits.
    /// `waiter`: the asking handler's cell, whose edge in the ``WaitForGraph`` is settled
    /// with the request's ordinal here under the same lock hold, before anyone can take it.
    @inlinable
    final func offerWithoutWaiting(_ message: consuming Message, settling waiter: CellBase?) -> ImmediateDelivery<Message> {
        lock.lock()
        // An asking handler tried its turn before recording its edge (``tryImmediateTurn(_:)``);
        // a turn taken here would give its request no ordinal to settle the edge with.
        if waiter == nil, let parked = takeImmediateTurnLocked() {
            lock.unlock()
            runImmediateTurn(message, parked: parked)
            return .settled(.enqueued)
        }
        let offer = user.offer(message, mayWait: true)
        if let waiter { settleWaitLocked(of: waiter, entered: offer.entered) }
        let wake = takeConsumerIfEnqueued(offer)
        lock.unlock()
        wake?.wake(self)
        if case .mustWait(let message) = offer { return .mustWait(message) }
        return .settled(settle(offer))
    }

    /// Like ``send(_:)``, but if the lane is closed the message is handed back instead of
    /// becoming a dead letter, so the caller can deliver it elsewhere (a keyed actor that was
    /// passivated between lookup and send: the message goes to its successor).
    ///
    /// `waiter`: for a keyed ask's request, the asking handler's cell, whose edge in the
    /// ``WaitForGraph`` is settled with the request's ordinal under the same lock hold as the
    /// offer, before this actor can take it (and no immediate turn is taken: it would give
    /// the request no ordinal).
    @inlinable
    final nonisolated(nonsending) func sendUnlessClosed(
        _ message: Message,
        waitLimit: Duration?,
        settling waiter: CellBase? = nil
    ) async -> (SendOutcome, Message?) {
        lock.lock()
        if user.isClosed {
            lock.unlock()
            return (.stopped, message)
        }
        if waiter == nil, let parked = takeImmediateTurnLocked() {
            lock.unlock()
            runImmediateTurn(message, parked: parked)
            return (.enqueued, nil)
        }
        let offer = user.offer(message, mayWait: true)
        if let waiter { settleWaitLocked(of: waiter, entered: offer.entered) }
        let wake = takeConsumerIfEnqueued(offer)
        lock.unlock()
        wake?.wake(self)
        if case .mustWait(let message) = offer {
            return await park(message, waitLimit: waitLimit, handBackIfClosed: true)
        }
        return (settle(offer), nil)
    }

    /// Like ``trySend(_:)``, but hands the message back if the lane is closed.
    @inlinable
    final func trySendUnlessClosed(_ message: Message) -> (SendOutcome, Message?) {
        lock.lock()
        if user.isClosed {
            lock.unlock()
            return (.stopped, message)
        }
        if let parked = takeImmediateTurnLocked() {
            lock.unlock()
            runImmediateTurn(message, parked: parked)
            return (.enqueued, nil)
        }
        let offer = user.offer(message, mayWait: false)
        let wake = takeConsumerIfEnqueued(offer)
        lock.unlock()
        wake?.wake(self)
        return (settle(offer), nil)
    }

    /// Under `lock`: takes the actor's turn for an immediate turn if it is idle (waiting for a
    /// message, parked or dormant, nothing queued on either lane) and this thread may
    /// nest one more turn; returns the parked consumer, which the turn hands back or wakes.
    /// While the turn is held `consumer` is nil, so senders only enqueue and nobody else
    /// wakes the task or takes a turn.
    @inlinable
    final func takeImmediateTurnLocked() -> ParkedConsumer? {
        guard immediateTurn != nil, let parked = consumer, user.isEmpty, !user.isClosed,
              systemQueue.isEmpty, !immediateTurnsPaused,
              !immediateTurnsDeclined,
              ImmediateTurns.mayEnter(limit: system.configuration.immediateTurnDepth) else { return nil }
        consumer = nil
        return parked
    }

    /// Runs `first` on this thread holding the actor's turn (taken by
    /// ``takeImmediateTurnLocked()``), then the user messages that arrived meanwhile, up to
    /// `batchSize` in all; then gives the turn back: to the parked task if something needs
    /// it (a system message, more messages, a declined message, a stop or a failure), else
    /// by parking it again without a wake-up.
    ///
    /// If the behavior declines `first`, it goes to the front of the lane for the task, or
    /// with `handBackIfDeclined` it is returned to the caller instead (an ask, which then
    /// delivers it the ordinary way). Returns nil otherwise.
    ///
    /// For the wait-for graph, `first` enters the mailbox (gets its ordinal) only when it
    /// is handled or put back, never while its turn runs: the messages that arrive meanwhile
    /// are numbered before it, so a finished count may run one ahead of their true position,
    /// which can hide a cycle for a moment but never invent one (see ``WaitForGraph``).
    @inlinable
    @discardableResult
    final func runImmediateTurn(_ first: Message, parked: ParkedConsumer, handBackIfDeclined: Bool = false) -> Message? {
        let outer = ImmediateTurns.enter(self)
        var message = first
        var served = 0
        var wake = false
        var handedBack: Message?
        while true {
            let outcome = immediateTurn.unsafelyUnwrapped(self, message)
            if outcome != .declined { noteMessageFinished() }
            served &+= 1
            lock.lock()
            // Only the first message never entered the lane; the others were taken from it.
            if served == 1 && !(outcome == .declined && handBackIfDeclined) { user.countEnteredForTurn() }
            switch outcome {
            case .handled:
                processed &+= 1
                guard user.isEmpty && systemQueue.isEmpty else {
                    // Messages arrived during the turn. While only user messages wait, the
                    // turn goes on with them, up to a batch: their senders are waiting
                    // anyway, and the actor's task need not be woken. System messages
                    // (a stop, a child's exit) are the task's to handle.
                    if served < batchSize && systemQueue.isEmpty, let next = user.takeFirst(admitted: &admittedScratch) {
                        lock.unlock()
                        resumeAdmittedSenders()
                        message = next
                        continue
                    }
                    wake = true
                    break
                }
            case .declined:
                if handBackIfDeclined && served == 1 {
                    handedBack = message
                    wake = !user.isEmpty || !systemQueue.isEmpty
                } else {
                    user.putBackFirst(message)
                    wake = true
                }
            case .needsLoop:
                processed &+= 1
                turnNeedsLoop = true
                wake = true
            }
            if !wake { consumer = parked }
            lock.unlock()
            break
        }
        ImmediateTurns.leave(restoring: outer)
        if wake { parked.wake(self) }
        return handedBack
    }

    /// An ask's first try: runs `message` in an immediate turn if the actor is idle, and
    /// returns nil once it was handled there; else (busy, or the behavior declined) hands
    /// it back untouched, to be delivered the ordinary way. An asking handler tries this
    /// before it records its edge in the ``WaitForGraph``: a request handled at once never
    /// makes its asker wait on this actor (a reply given later, from a `ReplyTo` the
    /// handler kept, comes from no message still in this mailbox), so it needs no edge.
    @inlinable
    final func tryImmediateTurn(_ message: consuming Message) -> Message? {
        // An actor whose behavior declines every turn is not locked only to find that out.
        if hasDeclinedImmediateTurns { return message }
        lock.lock()
        guard let parked = takeImmediateTurnLocked() else {
            lock.unlock()
            return message
        }
        lock.unlock()
        return runImmediateTurn(message, parked: parked, handBackIfDeclined: true)
    }

    /// Resumes the senders admitted into room the turn holder made (after unlocking).
    @inlinable
    final func resumeAdmittedSenders() {
        guard !admittedScratch.isEmpty else { return }
        for continuation in admittedScratch { continuation.resume(returning: .enqueued) }
        admittedScratch.removeAll(keepingCapacity: true)
    }

    /// Under `lock`, right after the offer: the request's ordinal here if it `entered` the
    /// mailbox, else 0 (it waits for room and is admitted at an ordinal nobody records, or
    /// it was refused), for `waiter`'s edge if that edge names this cell.
    @inlinable
    final func settleWaitLocked(of waiter: CellBase, entered: Bool) {
        waiter.settleWait(on: self, ordinal: entered ? user.enqueuedTotal : 0)
    }

    /// Called by the default ``Behavior/receiveImmediately(_:context:)``.
    @inlinable
    final func declineImmediateTurns() {
        guard !immediateTurnsDeclined else { return }
        lock.lock()
        immediateTurnsDeclined = true
        lock.unlock()
        noteImmediateTurnsDeclined()
    }

    /// Under `lock`: the parked consumer to wake if `offer` put a message in the lane.
    @inlinable
    final func takeConsumerIfEnqueued(_ offer: UserQueue<Message>.Offer) -> ParkedConsumer? {
        switch offer {
        case .enqueued, .enqueuedEvicting:
            // Counted under the lock that evicted, so the consumer sees it (WaitForGraph).
            if case .enqueuedEvicting = offer { noteMessagesLeftUnhandled(1) }
            guard let waiting = consumer else { return nil }
            consumer = nil
            return waiting
        case .rejected, .mustWait:
            return nil
        }
    }

    /// After unlocking: dead-letter what the offer displaced and report the outcome.
    @inlinable
    final func settle(_ offer: UserQueue<Message>.Offer) -> SendOutcome {
        switch offer {
        case .enqueued:
            return .enqueued
        case .enqueuedEvicting(let evicted):
            system.deadLetters.record(evicted, to: path, reason: .droppedOldest)
            return .enqueued
        case .rejected(let message, let outcome, let reason):
            system.deadLetters.record(message, to: path, reason: reason)
            return outcome
        case .mustWait:
            return .full
        }
    }

    /// Waits in line for room (policy `suspend`), up to the policy's timeout and `waitLimit`.
    /// If the lane is closed before the sender gets in line, the message is handed back when
    /// `handBackIfClosed` (a keyed sender redirects it to the key's next actor), else it is
    /// a dead letter.
    @usableFromInline
    final nonisolated(nonsending) func park(
        _ message: Message,
        waitLimit: Duration?,
        handBackIfClosed: Bool = false
    ) async -> (SendOutcome, handedBack: Message?) {
        var timeout = waitLimit
        if case .suspend(let limit?) = mailbox.overflow { timeout = min(limit, timeout ?? limit) }
        let sender = SuspendedSend(message: message, cell: self)
        if let timeout { system.deadlines.add(sender, timeout: timeout) }
        let outcome = await awaitCancellably(sender) {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<SendOutcome, Never>) in
                lock.lock()
                if user.isClosed || sender.endedEarly != nil {
                    let outcome = user.isClosed ? .stopped : sender.endedEarly.unsafelyUnwrapped
                    let discarded = outcome == .stopped && handBackIfClosed ? nil : sender.message.take()
                    lock.unlock()
                    if let discarded {
                        system.deadLetters.record(discarded, to: path, reason: Self.deadLetterReason(for: outcome))
                    }
                    continuation.resume(returning: outcome)
                    return
                }
                sender.continuation = continuation
                if user.park(sender) {
                    sender.continuation = nil
                    let wake = consumer
                    consumer = nil
                    lock.unlock()
                    wake?.wake(self)
                    continuation.resume(returning: .enqueued)
                    return
                }
                lock.unlock()
            }
        }
        if timeout != nil { system.deadlines.remove(sender) }
        guard outcome == .stopped && handBackIfClosed else { return (outcome, nil) }
        return (outcome, lock.withLock { sender.message.take() })
    }

    /// Gives up on a waiting sender (its timeout passed, or its task was cancelled).
    @usableFromInline
    final func abandonSend(_ sender: SuspendedSend<Message>, outcome: SendOutcome) {
        let abandoned: (Message, UnsafeContinuation<SendOutcome, Never>)? = lock.withLock {
            if let abandoned = user.abandon(sender) { return abandoned }
            if sender.continuation == nil && sender.message != nil && sender.endedEarly == nil {
                sender.endedEarly = outcome
            }
            return nil
        }
        guard let (message, continuation) = abandoned else { return }
        system.deadLetters.record(message, to: path, reason: Self.deadLetterReason(for: outcome))
        continuation.resume(returning: outcome)
    }

    /// Why a message that never entered the mailbox became a dead letter.
    @usableFromInline
    static func deadLetterReason(for outcome: SendOutcome) -> DeadLetterReason {
        switch outcome {
        case .timedOut: .sendTimedOut
        case .cancelled: .sendCancelled
        default: .actorStopped
        }
    }

    // MARK: Consumer

    /// What the consumer did since its last call, published under the lock it takes anyway.
    @usableFromInline
    struct BatchReport {
        @usableFromInline var handled = 0
        @usableFromInline var sampledLatencyNanos: Int64 = -1

        @inlinable
        init() {}
    }

    /// Takes the work there is, without waiting: system messages (all of them) if any, else
    /// up to `batchSize` user messages; publishes `report` first. Returns true also when an
    /// immediate turn ended needing the loop (with no message: the loop then sees the
    /// turn's failure or stop). Returns false when there is nothing: the incarnation then
    /// returns from its loop and parks in ``parkUntilWork()``, so that a parked actor's task
    /// holds only its outer frames (the loop's frame alone was 656 bytes). Senders waiting
    /// for room are admitted as room is made.
    @inlinable @inline(never)
    final func takeWork(
        batch: inout [Message],
        system systemBatch: inout [SystemMessage],
        report: inout BatchReport
    ) -> Bool {
        lock.lock()
        if report.handled > 0 {
            publishLocked(report)
            report = BatchReport()
        }
        if turnNeedsLoop {
            turnNeedsLoop = false
            lock.unlock()
            return true
        }
        if !systemQueue.isEmpty {
            systemQueue.drain { systemBatch.append($0) }
            clearPendingSystemMessagesLocked()
            lock.unlock()
            return true
        }
        guard !user.isEmpty else {
            lock.unlock()
            return false
        }
        user.take(upTo: batchSize, into: &batch, admitted: &admittedScratch)
        lock.unlock()
        resumeAdmittedSenders()
        return true
    }

    /// Under `lock`: whether the loop has something to take (a message on either lane, or
    /// an immediate turn that ended needing it).
    @inlinable
    final var hasWorkLocked: Bool {
        turnNeedsLoop || !systemQueue.isEmpty || !user.isEmpty
    }

    /// Lets the incarnation's task end while the actor waits (the consumer becomes
    /// ``ParkedConsumer/dormant``), unless work arrived since the loop looked; true if it
    /// did. The caller has stored what its loop keeps, since the next task may start as soon
    /// as the lock is released.
    @usableFromInline
    final func releaseTaskUnlessWork() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard !hasWorkLocked else { return false }
        consumer = .dormant
        task = nil
        return true
    }

    /// Parks the incarnation's task until there may be work for ``takeWork(batch:system:report:)``:
    /// a message on either lane, or an immediate turn that needs the loop. Returns at once
    /// if some arrived since the loop looked.
    @inlinable
    final nonisolated(nonsending) func parkUntilWork() async {
        lock.lock()
        guard !hasWorkLocked else {
            lock.unlock()
            return
        }
        // The lock is still held while the continuation is created (the closure runs
        // synchronously, before any suspension) and is released inside it, so no producer
        // can slip a message in between the emptiness check and the parking.
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            consumer = .task(continuation)
            lock.unlock()
        }
    }

    /// Under `lock`: adds a batch report to the published counters.
    @inlinable
    final func publishLocked(_ report: BatchReport) {
        processed &+= report.handled
        if report.sampledLatencyNanos >= 0 { latency.record(nanoseconds: report.sampledLatencyNanos) }
    }

    /// Publishes what the consumer handled since its last `takeWork` (at incarnation end).
    @inlinable
    final func publishReport(_ report: BatchReport) {
        lock.lock()
        publishLocked(report)
        lock.unlock()
    }

    /// Takes waiting system messages without parking (the consumer still has user work).
    @inlinable
    final func takeSystemMessages(into systemBatch: inout [SystemMessage]) {
        lock.lock()
        systemQueue.drain { systemBatch.append($0) }
        clearPendingSystemMessagesLocked()
        lock.unlock()
    }

    /// True when no user message is queued.
    @inlinable
    final var isUserLaneEmpty: Bool {
        lock.lock()
        defer { lock.unlock() }
        return user.isEmpty
    }

    // MARK: CellBase overrides

    override var mailboxDepthAndCapacity: (depth: Int, capacity: Int) {
        lock.withLock { (user.depth, user.capacity) }
    }

    override func closeUserLane(leftovers: Bool = true) {
        if leftovers { discardLeftovers() }
        if lock.withLock({ user.closeIfIdle() }) { return }
        var messages: [Message] = []
        var senders: [(Message, UnsafeContinuation<SendOutcome, Never>)] = []
        lock.withLock {
            user.close(discarding: &messages, senders: &senders)
            noteMessagesLeftUnhandled(messages.count)
        }
        for message in messages {
            system.deadLetters.record(message, to: path, reason: .actorStopped)
        }
        for (message, continuation) in senders {
            system.deadLetters.record(message, to: path, reason: .actorStopped)
            continuation.resume(returning: .stopped)
        }
    }

    /// Whether messages wait for a next incarnation: queued, or left over from the batch
    /// of a failed one. Call between incarnations (`leftovers` belongs to the running one).
    final var hasMessagesForNextIncarnation: Bool {
        assertOwnedByIncarnation(orBetweenIncarnations: true, "leftovers")
        return !leftovers.isEmpty || lock.withLock { !user.isEmpty }
    }

    /// Dead-letters the leftovers of a failed batch when the actor will not run again.
    final func discardLeftovers() {
        assertOwnedByIncarnation(orBetweenIncarnations: true, "leftovers")
        guard !leftovers.isEmpty else { return }
        let discarded = leftovers
        leftovers.removeAll()
        noteMessagesLeftUnhandled(discarded.count)
        for message in discarded {
            system.deadLetters.record(message, to: path, reason: .actorStopped)
        }
    }

    override func discardIncarnationLeftovers() {
        discardLeftovers()
    }

    override func reopenUserLaneLocked() {
        user.reopen()
    }

    /// Stops accepting new messages but keeps queued ones (drain-then-stop).
    @usableFromInline
    final func closeForNewMessages() {
        lock.withLock { user.closeForNewMessages() }
    }

    override func metricsSnapshot() -> ActorMetrics {
        lock.withLock {
            ActorMetrics(
                path: path,
                state: lifecycle.state,
                mailboxDepth: user.depth,
                suspendedSenders: user.waitingSenders,
                mailboxCapacity: user.capacity,
                highWaterMark: user.highWaterMark,
                enqueued: user.enqueuedTotal,
                processed: processed,
                dropped: user.droppedTotal,
                restarts: lifecycle.restartCount,
                handlingLatency: latency
            )
        }
    }
}
