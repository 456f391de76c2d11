/// The actors of one keyed supervisor, by key: creation on demand, the LRU order, the cap,
/// idle passivation, and what happens when one of them ends.
///
/// Senders call ``lookup(_:reserved:)`` and ``waitForSlot(timeout:)`` from any thread; the
/// keyed supervisor's incarnation calls the ``ExternalChildren`` methods. Every decision is
/// made under `lock`, so "is there an actor for this key" and "this actor is being stopped"
/// are never seen half done.
///
/// # Slots and invariants
/// - There are `maxLive` slots. A key's cell holds one from creation until it terminates,
///   including while it drains before stopping, so cells (and their mailboxes) never
///   number more than `maxLive`: memory is bounded by the cap, not by the keys seen.
/// - A sender to a new key when every slot is taken waits for one, first come first
///   served; one least recently used actor is retired (drain, then stop) per waiting
///   sender, and a freed slot is handed straight to the first waiter.
/// - A key has at most one current entry. A retiring entry is no longer current but
///   finishes its queued messages (its lane is closed to new ones); the key's next entry
///   starts only after it ended (`predecessor`), so two actors for one key never run at
///   once and a sender's messages keep their order.
/// - A running entry is in the LRU list exactly when it is not pinned
///   (``ActorContext/keepAlive(_:)``): neither the idle sweep nor eviction, which both
///   look only at the LRU list, can pick a pinned actor. Only running entries are pinned;
///   retiring, finishing or restarting drops the pin.
/// - Lock order: this lock, then a cell's lock. Cells never take this lock.
@usableFromInline
// Unchecked Sendable: every mutable property is guarded by `lock`.
final class KeyedRegistry<Key: Hashable & Sendable, Message: Sendable>: ExternalChildren, KeyedPinning, @unchecked Sendable {

    final class Entry: LRUNode {
        let key: Key
        let cell: ActorCell<Message>
        var phase = Phase.deferred
        var lastUsed: ClockInstant
        /// The previous actor of the same key, still draining; this one starts after it.
        var predecessor: Entry?
        /// Kept alive by its incarnation: out of the LRU list, so never passivated or evicted.
        var isPinned = false
        var restartTimes: [ClockInstant] = []
        var previous: Entry?
        var next: Entry?
        var isLinked = false

        enum Phase {
            /// Created, not started: waiting for its predecessor or for the supervisor.
            case deferred
            case running
            /// Asked to drain and stop.
            case retiring
        }

        init(key: Key, cell: ActorCell<Message>, now: ClockInstant) {
            self.key = key
            self.cell = cell
            self.lastUsed = now
        }
    }

    enum Lookup {
        case cell(ActorCell<Message>)
        /// Every slot is taken: wait with ``waitForSlot(timeout:)``, then look up again.
        case full
        /// The keyed supervisor has stopped for good (or was never started).
        case stopped
    }

    let options: KeyedOptions
    private let makeCell: @Sendable (ActorSystem, CellBase, ActorPath, Key) -> ActorCell<Message>
    private let lock = Lock()

    // Guarded by `lock`:
    private var owner: CellBase?
    private var ownerRunning = false
    /// From the moment the supervisor starts stopping its actors until it starts again: no
    /// actor may be created then (nothing would ever start or stop it), so senders learn
    /// `stopped` instead.
    private var stopping = false
    private var entries: [Key: Entry] = [:]
    private var byCell: [ObjectIdentifier: Entry] = [:]
    private var retiringByKey: [Key: Entry] = [:]
    private var lru = LRUList<Entry>()
    private var slotWaiters = RingBuffer<SlotWaiter>()
    private var waitingSenders = 0
    private var reservedSlots = 0
    private var live = 0
    private var retiring = 0
    private var liveHighWaterMark = 0
    private var spawned = 0
    private var passivated = 0
    private var evicted = 0
    /// Entries with `isPinned` set.
    private var pinned = 0
    private var planner: RestartPlanner
    private var sweepScheduled = false

    @usableFromInline
    init(options: KeyedOptions, makeCell: @escaping @Sendable (ActorSystem, CellBase, ActorPath, Key) -> ActorCell<Message>) {
        self.options = options
        self.makeCell = makeCell
        self.planner = RestartPlanner(
            strategy: .oneForOne, intensity: options.intensity, backoff: nil, keepsEndedChildren: false, seed: 0
        )
    }

    /// Makes the supervisor's cell with `make` and ties the registry to it, unless another
    /// supervisor that has not terminated holds it: a set of keyed actors has one place in
    /// one tree at a time. `make` learns which (it runs under the lock, so two placements
    /// cannot both win) and must not call back into the registry.
    func place(_ make: (_ free: Bool) -> CellBase) -> CellBase {
        lock.withLock {
            let free = owner.map { $0.currentState == .terminated } ?? true
            let cell = make(free)
            if free { owner = cell }
            return cell
        }
    }

    var path: ActorPath? { lock.withLock { owner?.path } }
    var system: ActorSystem? { lock.withLock { owner?.system } }

    var metrics: KeyedMetrics {
        lock.withLock {
            KeyedMetrics(
                live: live, liveHighWaterMark: liveHighWaterMark, cells: byCell.count,
                waitingSenders: waitingSenders, spawned: spawned, passivated: passivated, evicted: evicted,
                pinned: pinned
            )
        }
    }

    /// Slots taken: cells alive (running, deferred or retiring) plus slots handed to
    /// waiters that have not created their cell yet.
    private var slotsTaken: Int { byCell.count + reservedSlots }

    // MARK: Senders

    /// The current actor for `key`, created if a slot is free. `reserved` says the caller
    /// holds a slot handed over by ``waitForSlot(timeout:)``.
    func lookup(_ key: Key, reserved: Bool = false) -> Lookup {
        var handOver: UnsafeContinuation<SlotWaiter.Outcome, Never>?
        defer { handOver?.resume(returning: .granted) }
        lock.lock()
        defer { lock.unlock() }
        if reserved { reservedSlots -= 1 }
        guard let owner, !stopping, owner.currentState != .terminated else {
            if reserved { handOver = handOverFreedSlot() }
            return .stopped
        }
        let now = owner.system.clock.now
        if let entry = entries[key] {
            // The reserved slot is not needed after all: pass it on.
            if reserved { handOver = handOverFreedSlot() }
            entry.lastUsed = now
            if entry.phase == .running { lru.moveToBack(entry) }
            return .cell(entry.cell)
        }
        guard slotsTaken < options.maxLive else {
            // Refused now, but a retry must find room: retire the least recently used
            // actor unless one is already retiring for this sender (beyond those promised
            // to waiting senders). A waiting sender's own eviction then finds it done.
            if retiring <= waitingSenders, let victim = lru.first {
                evicted += 1
                retire(victim)
            }
            return .full
        }
        let path = owner.path.appending(ActorPath.escapedName(String(describing: key)))
        let entry = Entry(key: key, cell: makeCell(owner.system, owner, path, key), now: now)
        entry.predecessor = retiringByKey[key]
        entries[key] = entry
        byCell[ObjectIdentifier(entry.cell)] = entry
        spawned += 1
        startIfPossible(entry)
        return .cell(entry.cell)
    }

    /// The current actor for `key` if one exists (running, or created and about to start),
    /// without creating one and without counting as a use (its idle time goes on).
    func existing(_ key: Key) -> ActorCell<Message>? {
        lock.withLock { stopping ? nil : entries[key]?.cell }
    }

    /// Waits until a slot is handed over (then look up again with `reserved: true`), the
    /// timeout passes, the task is cancelled, or the supervisor stops.
    func waitForSlot(timeout: Duration?) async -> SlotWaiter.Outcome {
        guard let system = self.system else { return .stopped }
        let deadline = timeout.map { system.clock.now.advanced(by: $0) } ?? ClockInstant(offset: .seconds(Int64.max / 4))
        let waiter = SlotWaiter(deadline: deadline) { [weak self] waiter in self?.abandon(waiter, with: .timedOut) }
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<SlotWaiter.Outcome, Never>) in
                lock.lock()
                if waiter.cancelledEarly || stopping || owner?.currentState == .terminated {
                    lock.unlock()
                    continuation.resume(returning: waiter.cancelledEarly ? .cancelled : .stopped)
                    return
                }
                if slotsTaken < options.maxLive {
                    reservedSlots += 1
                    lock.unlock()
                    continuation.resume(returning: .granted)
                    return
                }
                waiter.continuation = continuation
                slotWaiters.append(waiter)
                waitingSenders += 1
                evictForWaiters()
                if timeout != nil { system.clock.schedule(waiter) }
                lock.unlock()
            }
        } onCancel: {
            abandon(waiter, with: .cancelled)
        }
    }

    private func abandon(_ waiter: SlotWaiter, with outcome: SlotWaiter.Outcome) {
        let continuation: UnsafeContinuation<SlotWaiter.Outcome, Never>? = lock.withLock {
            guard let continuation = waiter.continuation else {
                if outcome == .cancelled { waiter.cancelledEarly = true }
                return nil
            }
            waiter.continuation = nil
            waitingSenders -= 1
            return continuation
        }
        continuation?.resume(returning: outcome)
    }

    /// Under `lock`: a slot just freed; reserves it for the first waiter, if any, and
    /// returns that waiter's continuation for the caller to resume once unlocked.
    private func handOverFreedSlot() -> UnsafeContinuation<SlotWaiter.Outcome, Never>? {
        while let waiter = slotWaiters.popFirst() {
            guard let continuation = waiter.continuation else { continue }
            waiter.continuation = nil
            waitingSenders -= 1
            reservedSlots += 1
            owner?.system.clock.cancel(waiter)
            return continuation
        }
        return nil
    }

    /// The keyed supervisor's cell (names errors for keys without an actor).
    var ownerCell: CellBase? { lock.withLock { owner } }

    /// Under `lock`: starts `entry` if the supervisor runs and no predecessor is draining.
    private func startIfPossible(_ entry: Entry) {
        guard ownerRunning, let owner, entry.predecessor == nil, entry.phase == .deferred else { return }
        entry.phase = .running
        live += 1
        if live > liveHighWaterMark { liveHighWaterMark = live }
        lru.append(entry)
        owner.addChild(entry.cell)
        _ = entry.cell.launchIncarnation(started: nil)
        scheduleSweepIfNeeded(from: owner.system.clock.now)
    }

    /// Under `lock`: retires least recently used actors until every waiting sender is
    /// matched by a retiring actor whose slot it will get.
    private func evictForWaiters() {
        while retiring < waitingSenders, let victim = lru.first {
            evicted += 1
            retire(victim)
        }
    }

    /// Under `lock`: stops `entry` after it handled what it has queued; new messages for its
    /// key go to a new entry from now on.
    private func retire(_ entry: Entry) {
        dropPin(entry)
        lru.remove(entry)
        if entries[entry.key] === entry { entries[entry.key] = nil }
        retiringByKey[entry.key] = entry
        entry.phase = .retiring
        retiring += 1
        entry.cell.closeForNewMessages()
        entry.cell.enqueueSystem(.stop(.drain))
    }

    // MARK: Pinning

    func keepAlive(_ on: Bool, for cell: CellBase) -> Bool {
        lock.withLock {
            // Only a running entry can be pinned: one already retiring (idle, evicted or
            // its supervisor stopping) drains and stops whatever it asks.
            guard let entry = byCell[ObjectIdentifier(cell)], entry.phase == .running, let owner else { return false }
            guard on != entry.isPinned else { return on }
            if on {
                entry.isPinned = true
                pinned += 1
                lru.remove(entry)
            } else {
                unpin(entry, now: owner.system.clock.now)
                // A sender may be waiting for a slot that only this actor can free now.
                evictForWaiters()
            }
            return on
        }
    }

    /// Under `lock`: makes a pinned running entry passivatable and evictable again. Its
    /// idle time counts from now (the unpin), so it joins the LRU list at the back, which
    /// keeps the list in order of `lastUsed`.
    private func unpin(_ entry: Entry, now: ClockInstant) {
        guard entry.isPinned else { return }
        entry.isPinned = false
        pinned -= 1
        entry.lastUsed = now
        lru.append(entry)
        scheduleSweepIfNeeded(from: now)
    }

    /// Under `lock`: forgets `entry`'s pin because it is leaving the running phase.
    private func dropPin(_ entry: Entry) {
        guard entry.isPinned else { return }
        entry.isPinned = false
        pinned -= 1
    }

    // MARK: Passivation

    /// Under `lock`: makes sure one sweep is scheduled while actors run.
    private func scheduleSweepIfNeeded(from now: ClockInstant) {
        guard let idleTimeout = options.idleTimeout, !sweepScheduled, let first = lru.first, let owner else { return }
        sweepScheduled = true
        let due = max(first.lastUsed.advanced(by: idleTimeout), now)
        owner.system.clock.schedule(ActionTimer(deadline: due) { [weak self] in self?.sweep() })
    }

    /// Retires every actor that received nothing for `idleTimeout`. The LRU order is the
    /// order of last messages, so only the expired actors at the front are looked at. An
    /// actor still busy with an old message finishes it first (retiring drains).
    private func sweep() {
        lock.withLock {
            sweepScheduled = false
            guard let idleTimeout = options.idleTimeout, let owner else { return }
            let now = owner.system.clock.now
            while let entry = lru.first, entry.lastUsed.advanced(by: idleTimeout) <= now {
                passivated += 1
                retire(entry)
            }
            scheduleSweepIfNeeded(from: now)
        }
    }

    // MARK: ExternalChildren

    @usableFromInline
    func ownerStarted(_ owner: CellBase) {
        lock.withLock {
            self.owner = owner
            ownerRunning = true
            stopping = false
            // A new incarnation of the supervisor starts with no restart history (OTP).
            planner.forgetRestarts()
            for entry in byCell.values where entry.phase == .deferred { startIfPossible(entry) }
        }
    }

    @usableFromInline
    func childExited(_ cell: CellBase, incarnation: Int, reason: ExitReason) async -> ExitReason? {
        var finished: [(CellBase, ExitReason)] = []
        var handOvers: [UnsafeContinuation<SlotWaiter.Outcome, Never>] = []
        let escalation: ExitReason? = lock.withLock {
            guard let entry = byCell[ObjectIdentifier(cell)] else { return nil }
            switch entry.phase {
            case .retiring:
                // Failed while draining: what it had queued is not lost to the eviction; a
                // restart (if its restart type and the intensity allow) drains it, then stops.
                if reason.isFailure, ownerRunning, entry.cell.hasMessagesForNextIncarnation {
                    return handleUnrequestedEnd(of: entry, reason: reason, into: &finished, handOvers: &handOvers)
                }
                finish(entry, reason: reason, into: &finished, handOvers: &handOvers)
                return nil
            case .running:
                return handleUnrequestedEnd(of: entry, reason: reason, into: &finished, handOvers: &handOvers)
            case .deferred:
                return nil
            }
        }
        for continuation in handOvers { continuation.resume(returning: .granted) }
        for (cell, reason) in finished { cell.terminate(reason) }
        return escalation
    }

    /// Under `lock`: an actor ended without being asked to (or failed while retiring);
    /// restart it or let it go.
    private func handleUnrequestedEnd(
        of entry: Entry,
        reason: ExitReason,
        into finished: inout [(CellBase, ExitReason)],
        handOvers: inout [UnsafeContinuation<SlotWaiter.Outcome, Never>]
    ) -> ExitReason? {
        guard let owner else { return nil }
        let now = owner.system.clock.now
        options.intensity.dropExpired(from: &entry.restartTimes, now: now)
        let decision = planner.childEnded(
            at: 0, of: [options.restart], reason: reason,
            childRestarts: entry.restartTimes.count, now: now
        )
        switch decision {
        case .keepDown:
            finish(entry, reason: reason, into: &finished, handOvers: &handOvers)
            return nil
        case .escalate:
            owner.system.log(.warning, "\(owner.path): restart intensity exceeded after \(entry.cell.path) \(reason); escalating")
            return .escalated(child: entry.cell.path, error: ExitError(reason: reason))
        case .restart:
            entry.restartTimes.append(now)
            // A pin belongs to the incarnation that asked for it.
            unpin(entry, now: now)
            entry.cell.noteRestart()
            _ = entry.cell.launchIncarnation(started: nil)
            if entry.phase == .retiring { entry.cell.enqueueSystem(.stop(.drain)) }
            // Unpinned, it may be the actor a waiting sender's slot must come from.
            evictForWaiters()
            return nil
        }
    }

    /// Under `lock`: `entry` is gone for good; free its slot and start its successor.
    private func finish(
        _ entry: Entry,
        reason: ExitReason,
        into finished: inout [(CellBase, ExitReason)],
        handOvers: inout [UnsafeContinuation<SlotWaiter.Outcome, Never>]
    ) {
        dropPin(entry)
        lru.remove(entry)
        byCell.removeValue(forKey: ObjectIdentifier(entry.cell))
        if entries[entry.key] === entry { entries[entry.key] = nil }
        if retiringByKey[entry.key] === entry { retiringByKey[entry.key] = nil }
        if entry.phase == .retiring { retiring -= 1 }
        if entry.phase != .deferred { live -= 1 }
        owner?.removeChild(entry.cell)
        finished.append((entry.cell, reason))
        if let successor = entries[entry.key], successor.predecessor === entry {
            successor.predecessor = nil
            startIfPossible(successor)
        }
        if let continuation = handOverFreedSlot() { handOvers.append(continuation) }
        evictForWaiters()
    }

    @usableFromInline
    func stopAll() async {
        let (ending, abandoned): ([Entry], [UnsafeContinuation<SlotWaiter.Outcome, Never>]) = lock.withLock {
            ownerRunning = false
            self.stopping = true
            var abandoned: [UnsafeContinuation<SlotWaiter.Outcome, Never>] = []
            while let waiter = slotWaiters.popFirst() {
                if let continuation = waiter.continuation {
                    waiter.continuation = nil
                    abandoned.append(continuation)
                }
            }
            waitingSenders = 0
            let ending = byCell.values.filter { $0.phase != .deferred }
            for entry in ending where entry.phase == .running {
                dropPin(entry)
                lru.remove(entry)
                entry.phase = .retiring
                retiring += 1
                entry.cell.enqueueSystem(.stop(.terminate))
            }
            return (ending, abandoned)
        }
        for continuation in abandoned { continuation.resume(returning: .stopped) }
        for entry in ending {
            await entry.cell.awaitEnd(entry.cell.currentIncarnationEnded, timeout: options.shutdown.timeout)
        }
        let all: [Entry] = lock.withLock {
            let all = Array(byCell.values)
            entries.removeAll()
            byCell.removeAll()
            retiringByKey.removeAll()
            lru.removeAll()
            live = 0
            retiring = 0
            for entry in all { owner?.removeChild(entry.cell) }
            return all
        }
        for entry in all { entry.cell.terminate(.stopped) }
    }
}
