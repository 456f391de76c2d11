import Synchronization

/// The lifecycle state of an actor, as shown by `TREE` and metrics.
public enum ActorState: String, Sendable, Hashable {
    /// Created; its first incarnation has not finished starting.
    case starting
    /// Handling messages.
    case running
    /// Between incarnations: failed or stopped for a restart, waiting for its supervisor
    /// (backoff, or siblings stopping). Messages queue up to the mailbox capacity.
    case restarting
    /// Finishing its last message and stopping its children.
    case stopping
    /// Stopped for good; messages go to dead letters.
    case terminated
}

/// The identity and lifecycle of one actor. It outlives the actor's incarnations: a
/// restart runs a new incarnation (a new task with fresh behavior state) on the same cell,
/// so refs, the path and queued messages survive it.
///
/// # Locking
/// One lock per cell guards the system lane, the parked consumer, the lifecycle (a
/// ``CellLifecycle``, changed only through its events) and (in ``ActorCell``) the user lane. The cell's own incarnation task is the only
/// consumer; any thread may enqueue.
@usableFromInline
// Unchecked Sendable: every mutable stored property is guarded by `lock`, except
// `systemPending`, `isEnding`, `awaitedCellAddress` and `awaitedOrdinal` (atomics),
// `positionInList` and `sequenceAmongSiblings` (guarded by the parent's lock), and
// the properties documented as owned by an incarnation's task
// (this cell's, or for `slotInParent` its parent's), which only that task touches
// (checked in debug builds by `assertOwnedByIncarnation`).
class CellBase: @unchecked Sendable, CustomStringConvertible, IndexedListElement {

    @usableFromInline let path: ActorPath
    /// Strong on purpose: cells and their tasks keep the system alive until it has shut down.
    @usableFromInline let system: ActorSystem
    /// The supervising cell; nil only for the root. Strong: the parent outlives its
    /// children's incarnations (it stops them before it ends), and the reference cycle with
    /// the parent's child table is broken when the child terminates.
    @usableFromInline private(set) final var parent: CellBase?
    /// When the supervisor restarts this actor.
    @usableFromInline let restart: RestartType
    /// How the supervisor stops this actor.
    @usableFromInline let shutdown: ShutdownPolicy

    @usableFromInline let lock = Lock()

    // Guarded by `lock`. `@exclusivity(unchecked)`: the lock already serializes every
    // access; Swift's dynamic exclusivity check would only re-verify that, on every message.
    @usableFromInline @exclusivity(unchecked) final var systemQueue = RingBuffer<SystemMessage>()
    @usableFromInline @exclusivity(unchecked) final var consumer: ParkedConsumer?
    /// The state, incarnation number and ends; every change is one of its events (see
    /// ``CellLifecycle``), made under `lock`. `isEnding` mirrors it for lock-free readers.
    @exclusivity(unchecked) var lifecycle = CellLifecycle() {
        didSet { isEnding.store(lifecycle.isEnding, ordering: .relaxed) }
    }
    /// The running incarnation's task, for cancelling it: set by ``launchIncarnation(started:)``
    /// and by each task that goes on with a dormant incarnation, nil while it is dormant and
    /// once the lifecycle says the incarnation ended (`lifecycle.hasRunningTask`).
    var task: Task<Void, Never>?
    /// Guarded by `lock`: the running incarnation was cancelled (``cancelSubtree()``). A task
    /// that goes on with it after it was dormant starts cancelled, as the one it replaces
    /// was; a new incarnation starts uncancelled.
    var incarnationCancelled = false
    /// Completed with the exit reason when the current incarnation's task has finished.
    /// Made on demand (most incarnations end without anyone waiting for them); the
    /// lifecycle's `lastEnd` answers a wait that starts after the end. Reset by each launch.
    var incarnationEnded: Completion<ExitReason>?
    // The cell's edge in the wait-for graph (see ``WaitForGraph``), among fields that change
    // about once per incarnation, away from those written on every message: other actors'
    // asks read it, and a cache line the consumer keeps writing would miss each time.
    /// The address of the cell this cell's incarnation waits on (an ask), and the ordinal of
    /// the request in that cell's mailbox; 0: no wait, and then the address means nothing.
    /// Written by this cell's incarnation task only (see ``WaitForGraph``). Unretained: set
    /// only while the ask runs, whose caller holds that cell; compared by address, so the hot
    /// path touches no reference count.
    let awaitedCellAddress = Atomic<UnsafeRawPointer?>(nil)
    let awaitedOrdinal = Atomic<Int>(0)

    /// The cell at `awaitedCellAddress` (meaningful while `awaitedOrdinal` is not 0).
    var awaitedCell: Unmanaged<CellBase>? {
        awaitedCellAddress.load(ordering: .acquiring).map { Unmanaged<CellBase>.fromOpaque($0) }
    }
    var watchers: [ObjectIdentifier: Watcher] = [:]
    /// Live children, and by name (for lookups): O(1) to add and remove, however many
    /// children a keyed supervisor has. Start order is each child's `sequenceAmongSiblings`.
    private var children = IndexedList<CellBase>()
    private var childrenByName: [String: CellBase] = [:]
    private var nextChildSequence: UInt64 = 0
    /// This cell's place in its parent's `children` and its start order among them. Guarded
    /// by the PARENT's lock (the parent's list owns them), like the rest of that list.
    final var positionInList = -1
    private final var sequenceAmongSiblings: UInt64 = 0

    /// Set while system messages wait, so a busy consumer notices them after each message
    /// without taking the lock.
    let systemPending = Atomic<Bool>(false)

    /// Mirrors `state` being `stopping` or `terminated`, for readers that must not take the
    /// lock: a reply channel released while some lock is held (its message was dropped under
    /// a cell's lock) asks it to choose between "stopped" and "no reply".
    let isEnding = Atomic<Bool>(false)

    // The cell as a node of the system's wait-for graph (see ``WaitForGraph``, which
    // states who writes each of these and why the split counters are enough; the edge
    // itself is declared with the lifecycle fields above).
    /// User messages finished by handlers: written only by whoever holds the actor's turn.
    let messagesFinishedByTurns = Atomic<Int>(0)
    /// User messages that left the mailbox unhandled (evicted, or dropped on stop).
    let messagesFinishedUnhandled = Atomic<Int>(0)
    /// Mirrors `ActorCell.immediateTurnsDeclined` (set once, never cleared) for readers
    /// that do not hold the lock: an asking handler skips its turn attempt on such an actor.
    private let immediateTurnsDeclinedMirror = Atomic<Bool>(false)

    @usableFromInline
    final var hasDeclinedImmediateTurns: Bool {
        immediateTurnsDeclinedMirror.load(ordering: .relaxed)
    }

    @usableFromInline
    final func noteImmediateTurnsDeclined() {
        immediateTurnsDeclinedMirror.store(true, ordering: .relaxed)
    }

    /// True when system messages wait (a relaxed load: the consumer checks it after every
    /// message and takes the lock only when it is set).
    @usableFromInline
    var hasPendingSystemMessages: Bool {
        systemPending.load(ordering: .relaxed)
    }

    /// Under `lock`: the system lane was just emptied.
    @usableFromInline
    func clearPendingSystemMessagesLocked() {
        systemPending.store(false, ordering: .relaxed)
    }

    /// Waits of this actor's current incarnation (its asks, its sends waiting for room),
    /// ended when the incarnation is cancelled. An intrusive list: O(1) in and out.
    private var waitsHead: WaitNode?

    @usableFromInline
    init(path: ActorPath, system: ActorSystem, parent: CellBase?, restart: RestartType, shutdown: ShutdownPolicy) {
        self.path = path
        self.system = system
        self.parent = parent
        self.restart = restart
        self.shutdown = shutdown
    }

    // MARK: Fields owned by an incarnation's task

    /// Debug builds: asserts that the calling task owns this cell's incarnation-owned fields
    /// (``supervisionStorage``, its children's ``slotInParent``, ``ActorCell``'s `leftovers`):
    /// it is this cell's running incarnation's task (``IncarnationScope``), or a thread
    /// running an immediate turn of this cell while it waits (``ImmediateTurns``). With
    /// `orBetweenIncarnations`, any caller also passes while no incarnation of this cell runs:
    /// the ended incarnation's writes were published by the lock it took to record its end,
    /// and the next is launched under that lock. The one place the rule is written; the
    /// callers are off the message path, and `assert` costs nothing in release builds.
    /// Never call it holding `lock` (it may take it).
    func assertOwnedByIncarnation(
        orBetweenIncarnations: Bool = false,
        _ field: StaticString,
        file: StaticString = #fileID,
        line: UInt = #line
    ) {
        assert(
            {
                if IncarnationScope.current?.cellForCurrentTask === self { return true }
                if ImmediateTurns.isRunningTurn(of: self) { return true }
                return orBetweenIncarnations && !lock.withLock { lifecycle.hasRunningTask }
            }(),
            "\(path): \(field) touched off the task that owns it",
            file: file,
            line: line
        )
    }

    /// Created on first use, so an actor that never has children never pays for it.
    /// Owned by this cell's incarnation task: each incarnation in turn (it lives on across
    /// restarts, with the static children's slots; incarnations never overlap), the only
    /// one that touches it. `@exclusivity(unchecked)`: that task alone touches it.
    @usableFromInline @exclusivity(unchecked) final var supervisionStorage: Supervision?

    /// This cell's supervision of its children, made on first use.
    @usableFromInline
    var supervision: Supervision {
        assertOwnedByIncarnation("supervision")
        if let existing = supervisionStorage { return existing }
        let made = makeSupervision()
        supervisionStorage = made
        return made
    }

    /// The supervision rules for this cell's children; supervisors override.
    @usableFromInline
    func makeSupervision() -> Supervision {
        Supervision(owner: self, policy: .forSpawnedChildren, staticChildren: [], external: nil, seed: system.nextSeed())
    }

    /// This cell's entry in its parent's supervision, so no lookup table is needed. Owned by
    /// the PARENT's incarnation task (its ``Supervision`` reads and writes it, checked with
    /// the parent's ``assertOwnedByIncarnation(orBetweenIncarnations:_:file:line:)``), not by
    /// this cell's. `@exclusivity(unchecked)`: only that task touches it.
    @usableFromInline @exclusivity(unchecked) final var slotInParent: ChildSlot?

    /// True if this cell starts children of its own when it starts.
    @usableFromInline
    var hasDeclaredChildren: Bool { false }

    /// True for a supervisor (a cell that takes no messages and only supervises), which
    /// ``SupervisorRef`` requests may address.
    var isSupervisor: Bool { false }

    @usableFromInline
    var description: String { path.description }

    // MARK: Overridden by ActorCell

    /// Mailbox depth and capacity for introspection.
    @usableFromInline
    var mailboxDepthAndCapacity: (depth: Int, capacity: Int) { (0, 0) }

    /// Closes the user lane for good and dead-letters what it held. `leftovers`: also the
    /// messages a failed incarnation took and did not handle, which belong to the running
    /// incarnation's task; false while an abandoned incarnation's task may still run.
    @usableFromInline
    func closeUserLane(leftovers: Bool = true) {}

    /// Reopens the user lane for a new incarnation after termination.
    @usableFromInline
    func reopenUserLaneLocked() {}

    /// Dead-letters the messages the ending incarnation took but did not handle; called by
    /// that incarnation's own task (the owner of those messages).
    func discardIncarnationLeftovers() {}

    /// Starts a new incarnation on a new task and returns its number. `started` is
    /// completed once the behavior's `started` hook returned (or with its error).
    @usableFromInline
    func launchIncarnation(started: Completion<Void>?) -> Int {
        preconditionFailure("launchIncarnation must be overridden")
    }

    /// A snapshot of this actor's counters.
    @usableFromInline
    func metricsSnapshot() -> ActorMetrics {
        preconditionFailure("metricsSnapshot must be overridden")
    }

    /// Starts a new task for the running incarnation, which went dormant (see
    /// ``ParkedConsumer/dormant``). Called by whoever took the dormant consumer, after
    /// releasing the lock. Only ``BehaviorCell`` goes dormant.
    @usableFromInline
    func resumeDormantIncarnation() {
        preconditionFailure("\(path): only a behavior's cell goes dormant")
    }

    // MARK: System lane

    /// Enqueues a system message; never blocked by a full user lane. Messages to a
    /// terminated cell are discarded, except that a command fails at once (its caller is
    /// waiting for the answer).
    @usableFromInline
    func enqueueSystem(_ message: SystemMessage) {
        let (accepted, wake): (Bool, ParkedConsumer?) = lock.withLock {
            if lifecycle.state == .terminated { return (false, nil) }
            systemQueue.append(message)
            systemPending.store(true, ordering: .releasing)
            let waiting = consumer
            consumer = nil
            return (true, waiting)
        }
        wake?.wake(self)
        if !accepted, case .command(let command) = message {
            command.completion.fail(ActorSystemError.stopped(path))
        }
    }

    /// Puts the commands among `unhandled` (system messages an ending incarnation took and
    /// will not handle) back at the front of the system lane: their callers wait for an
    /// answer, which the next incarnation gives, or, if the cell terminates instead, the
    /// failure ``terminate(_:leftovers:)`` gives every queued command. The other messages
    /// concern the ending incarnation only, and go.
    @usableFromInline
    func requeueCommands(_ unhandled: ArraySlice<SystemMessage>) {
        let commands = unhandled.filter {
            if case .command = $0 { return true }
            return false
        }
        guard !commands.isEmpty else { return }
        let accepted: Bool = lock.withLock {
            guard lifecycle.state != .terminated else { return false }
            var later: [SystemMessage] = []
            systemQueue.drain { later.append($0) }
            for message in commands + later { systemQueue.append(message) }
            systemPending.store(true, ordering: .releasing)
            return true
        }
        guard !accepted else { return }
        for case .command(let command) in commands { command.completion.fail(ActorSystemError.stopped(path)) }
    }

    /// True once the actor is stopping or has stopped. Lock-free (see `isEnding`).
    @usableFromInline
    var isTerminatedOrStopping: Bool {
        isEnding.load(ordering: .relaxed)
    }

    @usableFromInline
    var currentState: ActorState {
        lock.withLock { lifecycle.state }
    }

    // MARK: Children (mutated only by this cell's incarnation task; read by anyone)

    func addChild(_ child: CellBase) {
        lock.withLock {
            nextChildSequence += 1
            child.sequenceAmongSiblings = nextChildSequence
            children.insert(child)
            childrenByName[child.path.name] = child
        }
    }

    func removeChild(_ child: CellBase) {
        lock.withLock {
            guard children.remove(child) else { return }
            // One lookup in the usual case; a different child now holding the name (a keyed
            // actor made again while this one stopped) is put back.
            if let named = childrenByName.removeValue(forKey: child.path.name), named !== child {
                childrenByName[child.path.name] = named
            }
        }
    }

    /// Puts `fresh` in `old`'s place among the children (same start position, same name).
    func replaceChild(_ old: CellBase, with fresh: CellBase) {
        lock.withLock {
            if children.replace(old, with: fresh) {
                fresh.sequenceAmongSiblings = old.sequenceAmongSiblings
            } else {
                nextChildSequence += 1
                fresh.sequenceAmongSiblings = nextChildSequence
                children.insert(fresh)
            }
            childrenByName[fresh.path.name] = fresh
        }
    }

    /// Live children in the order they were added.
    var childrenSnapshot: [CellBase] {
        lock.withLock { children.elements.sorted { $0.sequenceAmongSiblings < $1.sequenceAmongSiblings } }
    }

    func child(named name: String) -> CellBase? {
        lock.withLock { childrenByName[name] }
    }

    // MARK: Incarnation bookkeeping

    /// The number of the latest incarnation (0 before the first).
    @usableFromInline
    var currentIncarnation: Int {
        lock.withLock { lifecycle.incarnation }
    }

    /// Completed when the running incarnation's task has finished; nil when no incarnation
    /// runs (never launched, or already ended).
    var runningIncarnationEnded: Completion<ExitReason>? {
        lock.withLock {
            guard lifecycle.hasRunningTask else { return nil }
            if let existing = incarnationEnded { return existing }
            let made = Completion<ExitReason>()
            incarnationEnded = made
            return made
        }
    }

    /// Completed when the latest incarnation's task has finished.
    @usableFromInline
    var currentIncarnationEnded: Completion<ExitReason> {
        lock.withLock {
            if let existing = incarnationEnded { return existing }
            let made = Completion<ExitReason>()
            if let lastEnd = lifecycle.lastEnd, lastEnd.incarnation == lifecycle.incarnation { made.succeed(lastEnd.reason) }
            incarnationEnded = made
            return made
        }
    }

    /// Marks the actor as waiting for a restart its supervisor decided, or stopped it for
    /// (the restart is counted when the new incarnation is launched).
    @usableFromInline
    func noteRestart() {
        lock.withLock { lifecycle.restartNoted() }
    }

    /// Cancels the current incarnation's task and, recursively, every descendant's.
    /// Used when a shutdown timeout passes: cancellation is cooperative, so handlers see it
    /// at their next `await` that checks for it.
    @usableFromInline
    func cancelSubtree() {
        let (task, children): (Task<Void, Never>?, [CellBase]) = lock.withLock {
            if lifecycle.hasRunningTask { incarnationCancelled = true }
            return (self.task, self.children.elements)
        }
        task?.cancel()
        for wait in registeredWaits() { wait.cancelWait() }
        for child in children { child.cancelSubtree() }
    }

    /// Waits for `ended`, this cell's running incarnation, to finish: `timeout` to stop
    /// gracefully, then its subtree is cancelled and it gets `timeout` once more, then it is
    /// abandoned (``abandonRunningIncarnation(after:)``). So the wait is bounded by twice
    /// the timeout; only a nil timeout (``ShutdownPolicy/unbounded``) waits as long as it
    /// takes. Returns false if the incarnation was abandoned, true if it ended.
    @discardableResult
    func awaitEnd(_ ended: Completion<ExitReason>, timeout: Duration?) async -> Bool {
        guard let timeout else {
            _ = await ended.wait()
            return true
        }
        let clock = system.clock
        if await ended.wait(until: clock.now.advanced(by: timeout), clock: clock) != nil { return true }
        cancelSubtree()
        if await ended.wait(until: clock.now.advanced(by: timeout), clock: clock) != nil { return true }
        return !abandonRunningIncarnation(after: timeout)
    }

    /// True once an incarnation of this cell was abandoned: the cell never runs again (a
    /// supervisor that starts the child again makes a new cell from its spec).
    var isAbandoned: Bool {
        lock.withLock { lifecycle.isAbandoned }
    }

    /// Gives up on the running incarnation, which ignored its stop and then its
    /// cancellation, `waited` each. Swift cannot end a task from outside, so the task runs
    /// on, cut off from the actor:
    /// - the incarnation counts as ended with ``ExitReason/cancelled`` (lifecycle `ended`,
    ///   waiters of its end released) and the cell terminates with that reason: the mailbox
    ///   closes (queued messages become dead letters, waiting senders and askers fail),
    ///   watchers are told, and the parent is never told of the task's real end;
    /// - descendants whose tasks still run are abandoned with it, the others terminate;
    /// - the system counts the task as abandoned (``ActorSystem/abandonedTaskCount``) until
    ///   it ends, and a warning is logged;
    /// - a stop waits on its system lane, so the task ends as soon as its handler returns
    ///   (running its `stopping` hook, dead-lettering what it had taken from the mailbox).
    ///
    /// The cell never runs another incarnation: one would run alongside the abandoned task,
    /// on the same mailbox and state, breaking the rule that incarnations of one actor never
    /// overlap. A supervisor that starts the child again gives it a new cell (a new actor at
    /// the same path) instead; see ``Supervision``.
    ///
    /// Returns false if there was nothing to abandon (the incarnation ended meanwhile).
    @discardableResult
    func abandonRunningIncarnation(after waited: Duration) -> Bool {
        let abandonedHere = abandonSubtree()
        guard abandonedHere > 0 else { return false }
        system.abandonmentsNoted()
        let others = abandonedHere > 1 ? " with \(abandonedHere - 1) descendant(s) still running" : ""
        system.log(
            .warning,
            "\(path) ignored its stop for \(waited) and cancellation for \(waited) more: abandoned\(others) (its task runs on, cut off from the actor; the actor ended as cancelled)"
        )
        return true
    }

    /// Abandons this cell's running incarnation and those of its descendants; returns how
    /// many were running (0: this one had ended, and nothing was done).
    private func abandonSubtree() -> Int {
        let marked: (number: Int, ended: Completion<ExitReason>)? = lock.withLock {
            guard let number = lifecycle.abandon() else { return nil }
            let ended = incarnationEnded ?? Completion<ExitReason>()
            incarnationEnded = ended
            system.incarnationAbandoned()
            return (number, ended)
        }
        guard let marked else { return 0 }
        system.lifecycle.emit(LifecycleEvent(path: path, kind: .ended, incarnation: marked.number, reason: .cancelled))
        marked.ended.succeed(.cancelled)
        // Children whose tasks run are abandoned too (their tasks were cancelled with this
        // one's subtree); `terminate` below ends the rest.
        var count = 1
        for child in childrenSnapshot { count += child.abandonSubtree() }
        terminate(.cancelled, leftovers: false)
        // `terminate` emptied the system lane; the stop put there now ends the task as soon
        // as its handler returns (nothing else could: the lane is closed to senders).
        let wake: ParkedConsumer? = lock.withLock {
            systemQueue.append(.stop(.terminate))
            systemPending.store(true, ordering: .releasing)
            defer { consumer = nil }
            return consumer
        }
        wake?.wake(self)
        return count
    }

    @usableFromInline
    func registerWait(_ node: WaitNode) {
        lock.withLock {
            node.waitPrevious = nil
            node.waitNext = waitsHead
            waitsHead?.waitPrevious = node
            waitsHead = node
            node.isRegistered = true
        }
    }

    @usableFromInline
    func unregisterWait(_ node: WaitNode) {
        lock.withLock {
            guard node.isRegistered else { return }
            if let previous = node.waitPrevious { previous.waitNext = node.waitNext } else { waitsHead = node.waitNext }
            node.waitNext?.waitPrevious = node.waitPrevious
            node.waitPrevious = nil
            node.waitNext = nil
            node.isRegistered = false
        }
    }

    private func registeredWaits() -> [WaitNode] {
        lock.withLock {
            var waits: [WaitNode] = []
            var node = waitsHead
            while let current = node {
                waits.append(current)
                node = current.waitNext
            }
            return waits
        }
    }

    // MARK: Termination and death watch

    /// Ends this actor for good: closes its mailbox (queued messages become dead letters,
    /// waiting senders and askers fail at once), and tells its watchers. `leftovers`: see
    /// ``closeUserLane(leftovers:)``.
    @usableFromInline
    func terminate(_ reason: ExitReason, leftovers: Bool = true) {
        // Released only after the lock: a dropped message may hold the last copy of a reply
        // channel, whose release fails its ask.
        var discarded: [SystemMessage] = []
        let watchers: [Watcher]? = lock.withLock {
            guard lifecycle.terminate(reason) else { return nil }
            systemQueue.drain { discarded.append($0) }
            systemPending.store(false, ordering: .relaxed)
            let current = Array(self.watchers.values)
            self.watchers.removeAll()
            return current
        }
        guard let watchers else { return }
        for case .command(let command) in discarded { command.completion.fail(ActorSystemError.stopped(path)) }
        discarded.removeAll()
        closeUserLane(leftovers: leftovers)
        let children: [CellBase] = lock.withLock {
            let children = self.children.removeAll()
            self.childrenByName.removeAll()
            return children
        }
        for child in children { child.terminate(.stopped) }
        system.lifecycle.emit(LifecycleEvent(path: path, kind: .terminated, incarnation: currentIncarnation, reason: reason))
        for watcher in watchers { watcher.notify(path, reason) }
    }

    /// Registers `watcher`; if this actor already terminated, notifies it at once.
    func addWatcher(_ watcher: Watcher) {
        let alreadyTerminated: ExitReason? = lock.withLock {
            if let reason = lifecycle.terminationReason { return reason }
            watchers[watcher.id] = watcher
            return nil
        }
        if let alreadyTerminated { watcher.notify(path, alreadyTerminated) }
    }

    func removeWatcher(_ id: ObjectIdentifier) {
        _ = lock.withLock { watchers.removeValue(forKey: id) }
    }

    /// A terminated cell may run again when its supervisor restarts it as part of a
    /// strategy (for example a static child of a supervisor that was itself restarted).
    func reviveIfTerminated() {
        lock.withLock {
            if lifecycle.revive() { reopenUserLaneLocked() }
        }
    }
}

/// Someone told when a watched actor terminates: another actor, or a waiting task.
struct Watcher: Sendable {
    let id: ObjectIdentifier
    private let deliver: @Sendable (ActorPath, ExitReason) -> Void

    func notify(_ path: ActorPath, _ reason: ExitReason) {
        deliver(path, reason)
    }

    /// An actor's incarnation watching: gets ``Signal/terminated(_:_:)`` on its system lane.
    static func cell(_ watcher: CellBase, incarnation: Int) -> Watcher {
        Watcher(id: ObjectIdentifier(watcher)) { [weak watcher] path, reason in
            watcher?.enqueueSystem(.watched(path, reason, incarnation: incarnation))
        }
    }

    /// A task waiting for the termination.
    static func completion(_ completion: Completion<ExitReason>) -> Watcher {
        Watcher(id: ObjectIdentifier(completion)) { _, reason in
            completion.succeed(reason)
        }
    }
}
