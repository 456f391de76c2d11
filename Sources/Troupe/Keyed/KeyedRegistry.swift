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
///
/// # Decisions under the lock, effects after it
/// Every method that changes state goes through ``decide(_:)``: under `lock` it changes the
/// registry's own state and appends what must then happen to `pending` as
/// ``KeyedEffect``s; after unlocking, the same thread performs them in order before the
/// method returns. Under the lock the only calls out are to cells' own locks for plain
/// state (`addChild`, `removeChild`, `closeForNewMessages`, `noteRestart`, `currentState`,
/// none of which resumes anything) and the clock's `now`. Launching an incarnation (a
/// task), enqueuing a stop (it wakes the actor's parked consumer), resuming a slot waiter,
/// terminating a cell (dead letters, watchers), scheduling or cancelling a timer (a clock
/// may be user code; `ManualClock` resumes its waiters) and logging are effects.
///
/// Performing an effect a moment after its decision is safe, case by case:
/// - **A late stop.** A cell's system lane keeps its messages across launches, so a stop
///   that lands before the launch it was decided after is the new incarnation's first
///   message; a second drain (evicted, then restarted while retiring) changes nothing; a
///   stop that lands after the cell terminated is discarded. Its lane was already closed
///   under the lock, so no sender's message gets into a retired actor after the decision.
/// - **A late launch.** Until it runs, the cell exists in state `starting` and queues what
///   is sent to it; nothing starts its successor (that waits for its end) and nothing can
///   end it. The one reader of an incarnation that a late launch could fool is `stopAll`,
///   which reads the latest incarnation's end: a launch performed after that read would
///   replace the completion it waits on (a hang), or, for a restart, let it see the
///   previous incarnation's end and terminate a cell whose new task is about to start.
///   `ownerStarted` and `childExited` run on the supervisor's task, as `stopAll` does, and
///   finish their effects before returning; only a sender's ``lookup(_:reserved:)`` can
///   have a launch in flight then. So launches are counted (`launchesInFlight`) from the
///   decision until performed, and `stopAll`, once it has made further launches impossible
///   (`ownerRunning` false, `stopping` true), waits for the count to reach zero before it
///   reads any incarnation's end.
/// - **A late slot hand-over.** The slot is reserved (`reservedSlots`) by the decision, so
///   nobody else takes it while the waiter is being resumed.
/// - **Timers.** A slot waiter's timer is scheduled before the waiter is registered, so
///   the cancel that a hand-over performs never comes before the schedule; a timer that
///   fires before registration is remembered (`endedEarly`) and ends the wait at once. The
///   idle sweep is marked scheduled by the decision, so there is one at a time, and it can
///   only fire once scheduled.
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
    /// The effects of the decision being made; empty outside ``decide(_:)``.
    private var pending: [KeyedEffect] = []
    /// `launch` effects decided and not yet performed.
    private var launchesInFlight = 0
    /// `stopAll` waiting for `launchesInFlight` to reach zero.
    private var launchesSettled: UnsafeContinuation<Void, Never>?
    /// Called with a decision's effects between unlocking and performing them (tests hold a
    /// thread there to widen a race window).
    private var effectsWillRun: (@Sendable ([KeyedEffect]) -> Void)?

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

    // MARK: Decisions and effects

    /// Runs `decision` under the lock, then performs the effects it appended to `pending`.
    @inline(__always)
    private func decide<Result>(_ decision: () -> Result) -> Result {
        lock.lock()
        assert(pending.isEmpty, "a decision's effects leaked into the next one")
        let result = decision()
        var effects: [KeyedEffect] = []
        swap(&effects, &pending)
        let hook = effects.isEmpty ? nil : effectsWillRun
        lock.unlock()
        if !effects.isEmpty {
            hook?(effects)
            perform(effects)
        }
        return result
    }

    private func perform(_ effects: [KeyedEffect]) {
        var launched = 0
        for effect in effects {
            switch effect {
            case .launch(let cell):
                _ = cell.launchIncarnation(started: nil)
                launched += 1
            case .stop(let cell, let mode):
                cell.enqueueSystem(.stop(mode))
            case .endWait(let waiter, let continuation, let outcome):
                waiter.cancelTimer()
                continuation.resume(returning: outcome)
            case .terminate(let cell, let reason):
                cell.terminate(reason)
            case .schedule(let timer, let clock):
                clock.schedule(timer)
            case .log(let system, let level, let message):
                system.log(level, message())
            }
        }
        guard launched > 0 else { return }
        let settled: UnsafeContinuation<Void, Never>? = lock.withLock {
            launchesInFlight -= launched
            guard launchesInFlight == 0 else { return nil }
            defer { launchesSettled = nil }
            return launchesSettled
        }
        settled?.resume()
    }

    /// Under `lock`: decides to start `cell`'s next incarnation.
    private func launch(_ cell: CellBase) {
        launchesInFlight += 1
        pending.append(.launch(cell))
    }

    /// Waits until every launch decided so far has been performed. Only `stopAll` waits,
    /// after making further launches impossible.
    private func waitForLaunchesInFlight() async {
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            lock.lock()
            guard launchesInFlight > 0 else {
                lock.unlock()
                continuation.resume()
                return
            }
            assert(launchesSettled == nil, "one stopAll at a time")
            launchesSettled = continuation
            lock.unlock()
        }
    }

    /// Installs `hook`, called with each non-empty list of effects on the deciding thread
    /// after unlocking and before performing them. For tests.
    func onEffects(_ hook: (@Sendable ([KeyedEffect]) -> Void)?) {
        lock.withLock { effectsWillRun = hook }
    }

    /// True while `stopAll` waits for launches in flight. For tests.
    var isWaitingForLaunches: Bool {
        lock.withLock { launchesSettled != nil }
    }

    // MARK: Senders

    /// The current actor for `key`, created if a slot is free. `reserved` says the caller
    /// holds a slot handed over by ``waitForSlot(timeout:)``.
    func lookup(_ key: Key, reserved: Bool = false) -> Lookup {
        decide {
            if reserved { reservedSlots -= 1 }
            guard let owner, !stopping, owner.currentState != .terminated else {
                if reserved { handOverFreedSlot() }
                return .stopped
            }
            let now = owner.system.clock.now
            if let entry = entries[key] {
                // The reserved slot is not needed after all: pass it on.
                if reserved { handOverFreedSlot() }
                entry.lastUsed = now
                if entry.phase == .running { lru.moveToBack(entry) }
                return .cell(entry.cell)
            }
            guard slotsTaken < options.maxLive else {
                // Refused now, but a retry must find room: retire the least recently used
                // actor unless one is already retiring for this sender (beyond those
                // promised to waiting senders). A waiting sender's own eviction then finds
                // it done.
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
        let clock = system.clock
        let deadline = timeout.map { clock.now.advanced(by: $0) } ?? ClockInstant(offset: .seconds(Int64.max / 4))
        let waiter = SlotWaiter(deadline: deadline, clock: timeout == nil ? nil : clock) { [weak self] waiter in
            self?.abandon(waiter, with: .timedOut)
        }
        // Before the waiter is registered: see "Timers" in the type's comment.
        if timeout != nil { clock.schedule(waiter) }
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<SlotWaiter.Outcome, Never>) in
                decide {
                    if let early = waiter.endedEarly {
                        pending.append(.endWait(waiter, continuation, early))
                    } else if stopping || owner?.currentState == .terminated {
                        pending.append(.endWait(waiter, continuation, .stopped))
                    } else if slotsTaken < options.maxLive {
                        reservedSlots += 1
                        pending.append(.endWait(waiter, continuation, .granted))
                    } else {
                        waiter.continuation = continuation
                        slotWaiters.append(waiter)
                        waitingSenders += 1
                        evictForWaiters()
                    }
                }
            }
        } onCancel: {
            abandon(waiter, with: .cancelled)
        }
    }

    private func abandon(_ waiter: SlotWaiter, with outcome: SlotWaiter.Outcome) {
        decide {
            guard let continuation = waiter.continuation else {
                // Not registered yet (or already ended, when this changes nothing).
                if waiter.endedEarly == nil { waiter.endedEarly = outcome }
                return
            }
            waiter.continuation = nil
            waitingSenders -= 1
            pending.append(.endWait(waiter, continuation, outcome))
        }
    }

    /// Under `lock`: a slot just freed; reserves it for the first waiter, if any, and
    /// hands it over once unlocked.
    private func handOverFreedSlot() {
        while let waiter = slotWaiters.popFirst() {
            guard let continuation = waiter.continuation else { continue }
            waiter.continuation = nil
            waitingSenders -= 1
            reservedSlots += 1
            pending.append(.endWait(waiter, continuation, .granted))
            return
        }
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
        launch(entry.cell)
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
        // Closed here, not as an effect: from this decision on, a sender holding this cell
        // gets its message back and looks up the key's next entry.
        entry.cell.closeForNewMessages()
        pending.append(.stop(entry.cell, .drain))
    }

    // MARK: Pinning

    func keepAlive(_ on: Bool, for cell: CellBase) -> Bool {
        decide {
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
        pending.append(.schedule(ActionTimer(deadline: due) { [weak self] in self?.sweep() }, on: owner.system.clock))
    }

    /// Retires every actor that received nothing for `idleTimeout`. The LRU order is the
    /// order of last messages, so only the expired actors at the front are looked at. An
    /// actor still busy with an old message finishes it first (retiring drains).
    private func sweep() {
        decide {
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
        decide {
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
        decide {
            guard let entry = byCell[ObjectIdentifier(cell)] else { return nil }
            switch entry.phase {
            case .retiring:
                // Failed while draining: what it had queued is not lost to the eviction; a
                // restart (if its restart type and the intensity allow) drains it, then stops.
                if reason.isFailure, ownerRunning, entry.cell.hasMessagesForNextIncarnation {
                    return handleUnrequestedEnd(of: entry, reason: reason)
                }
                finish(entry, reason: reason)
                return nil
            case .running:
                return handleUnrequestedEnd(of: entry, reason: reason)
            case .deferred:
                return nil
            }
        }
    }

    /// Under `lock`: an actor ended without being asked to (or failed while retiring);
    /// restart it or let it go.
    private func handleUnrequestedEnd(of entry: Entry, reason: ExitReason) -> ExitReason? {
        guard let owner else { return nil }
        let now = owner.system.clock.now
        options.intensity.dropExpired(from: &entry.restartTimes, now: now)
        let decision = planner.childEnded(
            at: 0, of: [options.restart], reason: reason,
            childRestarts: entry.restartTimes.count, now: now
        )
        switch decision {
        case .keepDown:
            finish(entry, reason: reason)
            return nil
        case .escalate:
            let (supervisor, child) = (owner.path, entry.cell.path)
            pending.append(.log(owner.system, .warning, { "\(supervisor): restart intensity exceeded after \(child) \(reason); escalating" }))
            return .escalated(child: entry.cell.path, error: ExitError(reason: reason))
        case .restart:
            entry.restartTimes.append(now)
            // A pin belongs to the incarnation that asked for it.
            unpin(entry, now: now)
            entry.cell.noteRestart()
            launch(entry.cell)
            if entry.phase == .retiring { pending.append(.stop(entry.cell, .drain)) }
            // Unpinned, it may be the actor a waiting sender's slot must come from.
            evictForWaiters()
            return nil
        }
    }

    /// Under `lock`: `entry` is gone for good; free its slot and start its successor.
    private func finish(_ entry: Entry, reason: ExitReason) {
        dropPin(entry)
        lru.remove(entry)
        byCell.removeValue(forKey: ObjectIdentifier(entry.cell))
        if entries[entry.key] === entry { entries[entry.key] = nil }
        if retiringByKey[entry.key] === entry { retiringByKey[entry.key] = nil }
        if entry.phase == .retiring { retiring -= 1 }
        if entry.phase != .deferred { live -= 1 }
        owner?.removeChild(entry.cell)
        pending.append(.terminate(entry.cell, reason))
        if let successor = entries[entry.key], successor.predecessor === entry {
            successor.predecessor = nil
            startIfPossible(successor)
        }
        handOverFreedSlot()
        evictForWaiters()
    }

    @usableFromInline
    func stopAll() async {
        let ending: [Entry] = decide {
            // From here on no decision launches anything: `startIfPossible` needs
            // `ownerRunning`, `lookup` and `waitForSlot` refuse while `stopping`, and
            // `childExited` runs on the supervisor's task, which is this one.
            ownerRunning = false
            self.stopping = true
            while let waiter = slotWaiters.popFirst() {
                if let continuation = waiter.continuation {
                    waiter.continuation = nil
                    pending.append(.endWait(waiter, continuation, .stopped))
                }
            }
            waitingSenders = 0
            let ending = byCell.values.filter { $0.phase != .deferred }
            for entry in ending where entry.phase == .running {
                dropPin(entry)
                lru.remove(entry)
                entry.phase = .retiring
                retiring += 1
                pending.append(.stop(entry.cell, .terminate))
            }
            return ending
        }
        // A sender's launch decided before the lines above may not have run yet; reading
        // its cell's incarnation end before it does would read the wrong one.
        await waitForLaunchesInFlight()
        for entry in ending {
            await entry.cell.awaitEnd(entry.cell.currentIncarnationEnded, timeout: options.shutdown.timeout)
        }
        decide {
            for entry in byCell.values {
                owner?.removeChild(entry.cell)
                pending.append(.terminate(entry.cell, .stopped))
            }
            entries.removeAll()
            byCell.removeAll()
            retiringByKey.removeAll()
            lru.removeAll()
            live = 0
            retiring = 0
        }
    }
}
