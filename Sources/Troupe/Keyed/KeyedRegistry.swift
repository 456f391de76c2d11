/// The actors of one keyed supervisor, by key: creation on demand, the LRU order, the cap,
/// idle passivation, and what happens when one of them ends.
///
/// Senders call ``cell(for:)`` from any thread; the keyed supervisor's incarnation calls
/// the ``ExternalChildren`` methods. Every decision is made under `lock`, so "is there an
/// actor for this key" and "this actor is being stopped" are never seen half done.
///
/// # Invariants
/// - `live` (incarnations running or finishing) never exceeds `maxLive`. An entry that
///   cannot start yet waits in `waiting`, its mailbox already taking messages.
/// - A key has at most one current entry (`entries[key]`). An entry being passivated or
///   evicted is no longer current but finishes its queued messages (its lane is closed to
///   new ones); the key's next entry starts only after it ended (`predecessor`), so two
///   actors for one key never run at once and a sender's messages keep their order.
/// - Lock order: this lock, then a cell's lock. Cells never take this lock.
final class KeyedRegistry<Key: Hashable & Sendable, Message: Sendable>: ExternalChildren, @unchecked Sendable {
    // @unchecked Sendable: every mutable property is guarded by `lock`.

    final class Entry: LRUNode {
        let key: Key
        let cell: ActorCell<Message>
        var phase = Phase.waiting
        var lastUsed: ClockInstant
        /// The previous actor of the same key, still stopping; this one starts after it.
        var predecessor: Entry?
        var restartTimes: [ClockInstant] = []
        var previous: Entry?
        var next: Entry?
        var isLinked = false

        enum Phase {
            case waiting, running, restartPending, stopping
        }

        init(key: Key, cell: ActorCell<Message>, now: ClockInstant) {
            self.key = key
            self.cell = cell
            self.lastUsed = now
        }
    }

    let options: KeyedOptions
    private let makeCell: @Sendable (ActorSystem, CellBase, ActorPath, Key) -> ActorCell<Message>
    private let lock = Lock()

    // Guarded by `lock`:
    private var owner: CellBase?
    private var ownerRunning = false
    private var entries: [Key: Entry] = [:]
    private var byCell: [ObjectIdentifier: Entry] = [:]
    private var stoppingByKey: [Key: Entry] = [:]
    private var lru = LRUList<Entry>()
    private var waiting: [Entry] = []
    private var live = 0
    private var liveHighWaterMark = 0
    private var spawned = 0
    private var passivated = 0
    private var evicted = 0
    private var planner: RestartPlanner
    private var sweepScheduled = false

    init(options: KeyedOptions, makeCell: @escaping @Sendable (ActorSystem, CellBase, ActorPath, Key) -> ActorCell<Message>) {
        self.options = options
        self.makeCell = makeCell
        self.planner = RestartPlanner(strategy: .oneForOne, intensity: options.intensity, backoff: nil, seed: 0)
    }

    /// Ties the registry to its supervisor's cell (once: a set of keyed actors has one
    /// place in one tree).
    func bind(to cell: CellBase) {
        lock.withLock {
            precondition(owner == nil || owner === cell, "a KeyedActors value can be placed in only one supervision tree position")
            owner = cell
        }
    }

    var path: ActorPath? {
        lock.withLock { owner?.path }
    }

    var system: ActorSystem? {
        lock.withLock { owner?.system }
    }

    var metrics: KeyedMetrics {
        lock.withLock {
            KeyedMetrics(
                live: live, liveHighWaterMark: liveHighWaterMark, waitingToStart: waiting.count,
                spawned: spawned, passivated: passivated, evicted: evicted
            )
        }
    }

    // MARK: Senders

    /// The current actor for `key`, created if needed; nil when the keyed supervisor has
    /// stopped for good (or was never started).
    func cell(for key: Key) -> ActorCell<Message>? {
        lock.lock()
        defer { lock.unlock() }
        guard let owner, owner.currentState != .terminated else { return nil }
        let now = owner.system.clock.now
        if let entry = entries[key] {
            entry.lastUsed = now
            if entry.phase == .running { lru.moveToBack(entry) }
            return entry.cell
        }
        let path = owner.path.appending(ActorPath.escapedName(String(describing: key)))
        let entry = Entry(key: key, cell: makeCell(owner.system, owner, path, key), now: now)
        entry.predecessor = stoppingByKey[key]
        entries[key] = entry
        byCell[ObjectIdentifier(entry.cell)] = entry
        spawned += 1
        if !startIfPossible(entry) {
            waiting.append(entry)
            if live >= options.maxLive { evictLeastRecentlyUsed() }
        }
        return entry.cell
    }

    /// Under `lock`: starts `entry` if the supervisor runs, a slot is free and no
    /// predecessor is still stopping.
    private func startIfPossible(_ entry: Entry) -> Bool {
        guard ownerRunning, let owner, entry.predecessor == nil, live < options.maxLive else { return false }
        entry.phase = .running
        live += 1
        if live > liveHighWaterMark { liveHighWaterMark = live }
        lru.append(entry)
        owner.addChild(entry.cell)
        _ = entry.cell.launchIncarnation(started: nil)
        scheduleSweepIfNeeded(from: owner.system.clock.now)
        return true
    }

    /// Under `lock`: starts waiting entries, oldest first, while slots are free.
    private func startWaiting() {
        var index = 0
        while index < waiting.count && live < options.maxLive {
            if startIfPossible(waiting[index]) {
                waiting.remove(at: index)
            } else {
                index += 1
            }
        }
    }

    /// Under `lock`: makes room by stopping the least recently used running actor.
    private func evictLeastRecentlyUsed() {
        guard let victim = lru.first else { return }
        evicted += 1
        retire(victim)
    }

    /// Under `lock`: stops `entry` after it handled what it has queued; new messages for its
    /// key go to a new entry from now on.
    private func retire(_ entry: Entry) {
        lru.remove(entry)
        if entries[entry.key] === entry { entries[entry.key] = nil }
        stoppingByKey[entry.key] = entry
        entry.phase = .stopping
        entry.cell.closeForNewMessages()
        entry.cell.enqueueSystem(.stop(.drain))
    }

    // MARK: Passivation

    /// Under `lock`: makes sure one sweep is scheduled while actors run.
    private func scheduleSweepIfNeeded(from now: ClockInstant) {
        guard let idleTimeout = options.idleTimeout, !sweepScheduled, let first = lru.first, let owner else { return }
        sweepScheduled = true
        let due = max(first.lastUsed.advanced(by: idleTimeout), now)
        owner.system.clock.schedule(ActionTimer(deadline: due) { [weak self] in self?.sweep() })
    }

    /// Passivates every actor idle for `idleTimeout`. The LRU order is the idle order, so
    /// only expired actors at the front are looked at.
    private func sweep() {
        lock.lock()
        defer { lock.unlock() }
        sweepScheduled = false
        guard let idleTimeout = options.idleTimeout, let owner else { return }
        let now = owner.system.clock.now
        while let entry = lru.first, entry.lastUsed.advanced(by: idleTimeout) <= now {
            if entry.cell.isIdle {
                passivated += 1
                retire(entry)
            } else {
                // Busy with a long message: not idle. Look again after another period.
                entry.lastUsed = now
                lru.moveToBack(entry)
            }
        }
        scheduleSweepIfNeeded(from: now)
    }

    // MARK: ExternalChildren

    func ownerStarted(_ owner: CellBase) {
        lock.withLock {
            self.owner = owner
            ownerRunning = true
            startWaiting()
        }
    }

    func childExited(_ cell: CellBase, incarnation: Int, reason: ExitReason) async -> ExitReason? {
        var finished: [(CellBase, ExitReason)] = []
        let escalation: ExitReason? = lock.withLock {
            guard let entry = byCell[ObjectIdentifier(cell)] else { return nil }
            switch entry.phase {
            case .stopping:
                finish(entry, reason: reason, into: &finished)
                return nil
            case .running:
                return handleFailureOrStop(of: entry, reason: reason, into: &finished)
            case .waiting, .restartPending:
                return nil
            }
        }
        for (cell, reason) in finished { cell.terminate(reason) }
        return escalation
    }

    /// Under `lock`: an actor ended without being asked to; restart it or let it go.
    private func handleFailureOrStop(of entry: Entry, reason: ExitReason, into finished: inout [(CellBase, ExitReason)]) -> ExitReason? {
        guard let owner else { return nil }
        let now = owner.system.clock.now
        let windowStart = now.advanced(by: .zero - options.intensity.period)
        entry.restartTimes.removeAll { $0 <= windowStart }
        let decision = planner.childEnded(
            at: 0, of: 1, restart: options.restart, reason: reason,
            childRestarts: entry.restartTimes.count, now: now
        )
        switch decision {
        case .keepDown:
            finish(entry, reason: reason, into: &finished)
            return nil
        case .escalate:
            owner.system.log(.warning, "\(owner.path): restart intensity exceeded after \(entry.cell.path) \(reason); escalating")
            return .escalated(child: entry.cell.path, error: ExitError(reason: reason))
        case .restart:
            entry.restartTimes.append(now)
            entry.cell.noteRestart()
            _ = entry.cell.launchIncarnation(started: nil)
            return nil
        }
    }

    /// Under `lock`: `entry` is gone for good; free its slot and start who waited for it.
    private func finish(_ entry: Entry, reason: ExitReason, into finished: inout [(CellBase, ExitReason)]) {
        lru.remove(entry)
        byCell.removeValue(forKey: ObjectIdentifier(entry.cell))
        if entries[entry.key] === entry { entries[entry.key] = nil }
        if stoppingByKey[entry.key] === entry { stoppingByKey[entry.key] = nil }
        if entry.phase != .waiting { live -= 1 }
        entry.phase = .stopping
        owner?.removeChild(entry.cell)
        finished.append((entry.cell, reason))
        for successor in waiting where successor.predecessor === entry {
            successor.predecessor = nil
        }
        startWaiting()
    }

    func stopAll() async {
        let (running, timeout): ([Entry], Duration?) = lock.withLock {
            ownerRunning = false
            let running = Array(byCell.values).filter { $0.phase != .waiting }
            for entry in running where entry.phase != .stopping {
                lru.remove(entry)
                entry.phase = .stopping
                entry.cell.enqueueSystem(.stop(.terminate))
            }
            return (running, options.shutdown.timeout)
        }
        for entry in running {
            let ended = entry.cell.currentIncarnationEnded
            guard let timeout, let system = owner?.system else {
                _ = await ended.wait()
                continue
            }
            if await ended.wait(until: system.clock.now.advanced(by: timeout), clock: system.clock) == nil {
                entry.cell.cancelSubtree()
                _ = await ended.wait(until: system.clock.now.advanced(by: timeout), clock: system.clock)
            }
        }
        let all: [Entry] = lock.withLock {
            let all = Array(byCell.values)
            entries.removeAll()
            byCell.removeAll()
            stoppingByKey.removeAll()
            lru.removeAll()
            waiting.removeAll()
            live = 0
            for entry in all { owner?.removeChild(entry.cell) }
            return all
        }
        for entry in all { entry.cell.terminate(.stopped) }
    }
}
