/// One child as its parent's supervision sees it.
@usableFromInline
final class ChildSlot: IndexedListElement {
    /// The child's cell. Replaced by a new one made from `spec` only when the child is
    /// started again after an incarnation was abandoned (the old cell never runs again).
    fileprivate(set) var cell: CellBase
    /// How the child was made, to make it again after an abandonment; nil for the children
    /// an ordinary actor spawns without a spec (they leave the tree when they end for good,
    /// so they are never started again).
    let spec: ChildSpec?
    /// Declared in a ``SupervisorSpec`` (kept across restarts of the parent, and made again
    /// if it left the tree), as opposed to added at run time (gone when the parent's
    /// incarnation ends). Whether a child leaves the tree when it ends for good is the
    /// planner's call, by restart type.
    let isStatic: Bool
    /// Running, asked to stop, waiting for a delayed restart, down or removed: every change
    /// is one of its events (see ``ChildPhase``), so a late exit is recognised as stale.
    var phase = ChildPhase.down
    /// Restart times within the intensity period, for this child's backoff.
    var restartTimes: [ClockInstant] = []
    /// Position in start order.
    let sequence: Int
    /// Index in the supervision's `slots` (owned by that list).
    var positionInList = -1

    init(cell: CellBase, spec: ChildSpec?, isStatic: Bool, sequence: Int) {
        self.cell = cell
        self.spec = spec
        self.isStatic = isStatic
        self.sequence = sequence
    }

    /// This child's restarts within `intensity`'s window ending at `now` (its ends included).
    func restarts(within intensity: RestartIntensity, now: ClockInstant) -> Int {
        intensity.dropExpired(from: &restartTimes, now: now)
        return restartTimes.count
    }
}

/// The children of one cell and the routines that start, stop and restart them.
///
/// Supervision runs inside the parent's own incarnation task: a child's exit arrives as a
/// system message, the ``RestartPlanner`` decides, and this class carries the decision out,
/// awaiting each stop and each start in order. While it does, the parent handles nothing
/// else; further exits wait in its system lane and are recognised as stale by incarnation
/// number when they concern a child it stopped itself.
///
/// # Concurrency contract
/// Owned by one cell and used only by that cell's current incarnation task (incarnations
/// never overlap), so it needs no lock. The cell's `children` list, which others read for
/// `TREE` and lookups, is updated under the cell's lock.
@usableFromInline
// Unchecked Sendable: only the owning cell's incarnation task touches it (see above).
final class Supervision: @unchecked Sendable {
    @usableFromInline unowned let owner: CellBase
    private(set) var planner: RestartPlanner
    private let staticSpecs: [ChildSpec]
    /// Every child's slot, O(1) to add and remove (each cell points to its own slot, each
    /// slot knows its index, and names are indexed by the owner cell), so spawning many
    /// children costs linear time.
    /// Start order is `ChildSlot.sequence`: a static child's is its position in the spec
    /// plus one (so one made again keeps its place), run-time children's come after.
    private var slots = IndexedList<ChildSlot>()
    private var nextSequence: Int
    private var nextRestartToken = 0
    /// Children managed outside the slots (a keyed supervisor's per-key actors).
    private let external: (any ExternalChildren)?

    init(
        owner: CellBase,
        policy: SupervisionPolicy,
        staticChildren: [ChildSpec],
        external: (any ExternalChildren)? = nil,
        seed: UInt64
    ) {
        self.owner = owner
        self.staticSpecs = staticChildren
        self.nextSequence = staticChildren.count
        self.external = external
        self.planner = RestartPlanner(
            strategy: policy.strategy, intensity: policy.intensity, backoff: policy.backoff,
            keepsEndedChildren: policy.keepsEndedChildren, seed: seed
        )
    }

    private var system: ActorSystem { owner.system }

    /// Every child in start order (sorts: used on the rare paths that need the order).
    private var orderedSlots: [ChildSlot] {
        slots.elements.sorted { $0.sequence < $1.sequence }
    }

    private func slot(for cell: CellBase) -> ChildSlot? {
        owner.assertOwnedByIncarnation("a child's slotInParent")
        guard let slot = cell.slotInParent, slot.cell === cell, cell.parent === owner else { return nil }
        return slots.contains(slot) ? slot : nil
    }

    private func slot(named name: String) -> ChildSlot? {
        owner.child(named: name).flatMap(slot(for:))
    }

    /// Adds `cell` (made from `spec`, if any) as a child: a static one at `staticPosition` in
    /// the spec, else a run-time one after every child so far.
    private func insert(_ cell: CellBase, spec: ChildSpec?, staticPosition: Int? = nil) -> ChildSlot {
        let sequence: Int
        if let staticPosition {
            sequence = staticPosition + 1
        } else {
            nextSequence += 1
            sequence = nextSequence
        }
        let slot = ChildSlot(cell: cell, spec: spec, isStatic: staticPosition != nil, sequence: sequence)
        owner.assertOwnedByIncarnation("a child's slotInParent")
        slots.insert(slot)
        cell.slotInParent = slot
        owner.addChild(cell)
        return slot
    }

    // MARK: Starting

    /// Starts the static children in order, each after the previous one started. Throws
    /// the first start failure; the caller's teardown then stops those already started,
    /// in reverse order.
    ///
    /// Each incarnation of the owner starts every child of its spec, as a restarted OTP
    /// supervisor runs its child specs again: a static child that left the tree (a
    /// temporary one that ended) is made again, in its place.
    @usableFromInline
    func startStaticChildren() async throws {
        let present = Set(slots.elements.lazy.filter(\.isStatic).map(\.sequence))
        for (position, spec) in staticSpecs.enumerated() where !present.contains(position + 1) {
            _ = insert(spec.makeCell(system: system, parent: owner), spec: spec, staticPosition: position)
        }
        for slot in orderedSlots where slot.isStatic {
            try await start(slot)
        }
        external?.ownerStarted(owner)
    }

    /// Adds a child at run time and starts it without waiting (``ActorContext/spawn``).
    @usableFromInline
    func spawn(_ spec: ChildSpec) throws(ConfigurationError) -> CellBase {
        let slot = try addDynamic(spec)
        slot.phase.launched(slot.cell.launchIncarnation(started: nil))
        return slot.cell
    }

    /// Adds a child made by `makeCell` (under this owner, at its path) and starts it
    /// without waiting: the fast path of ``ActorContext/spawn``, which needs no spec.
    @inlinable
    func spawn<Cell: CellBase>(
        named name: String,
        _ makeCell: (CellBase, ActorPath) -> Cell
    ) throws(ConfigurationError) -> Cell {
        try ActorPath.validate(name)
        guard !hasChild(named: name) else { throw .duplicateChildName(name) }
        let cell = makeCell(owner, owner.path.appending(name))
        addDynamicAndLaunch(cell)
        return cell
    }

    @usableFromInline
    func hasChild(named name: String) -> Bool {
        owner.child(named: name) != nil
    }

    @usableFromInline
    func addDynamicAndLaunch(_ cell: CellBase) {
        let slot = insert(cell, spec: nil)
        slot.phase.launched(cell.launchIncarnation(started: nil))
    }

    /// Adds a child at run time and waits until it has started (``ActorSystem/spawn``).
    @usableFromInline
    func spawnAndWait(_ spec: ChildSpec) async throws -> CellBase {
        let slot = try addDynamic(spec)
        do {
            try await start(slot)
        } catch {
            remove(slot)
            slot.cell.terminate(.startFailed(error))
            throw error
        }
        return slot.cell
    }

    private func addDynamic(_ spec: ChildSpec) throws(ConfigurationError) -> ChildSlot {
        if hasChild(named: spec.name) {
            throw .duplicateChildName(spec.name)
        }
        return insert(spec.makeCell(system: system, parent: owner), spec: spec)
    }

    /// Starts one incarnation of `slot` and waits for its `started` hook. A child whose last
    /// incarnation was abandoned gets a new cell first (see ``renew(_:)``). An owner that was
    /// abandoned itself starts nothing: its task, back from wherever it was stuck, is only
    /// on its way out, and its children are terminated.
    private func start(_ slot: ChildSlot) async throws {
        guard !owner.isAbandoned else { throw ActorSystemError.stopped(owner.path) }
        if slot.cell.isAbandoned { try renew(slot) }
        slot.cell.reviveIfTerminated()
        let started = Completion<Void>()
        let number = slot.cell.launchIncarnation(started: started)
        slot.phase.launched(number)
        if case .failure(let error) = await started.wait() {
            slot.phase.startFailed(number)
            throw error
        }
    }

    /// Gives `slot` a new cell made from its spec, in place of one whose incarnation was
    /// abandoned: that cell's old task may still run, and two incarnations of one actor must
    /// never run at once, so the child comes back as a new actor at the same path (a fresh
    /// mailbox, no restarts counted; a ``ChildRef`` follows it, refs to the old cell get
    /// ``SendOutcome/stopped``). Throws ``ActorSystemError/stopped(_:)`` for a child spawned
    /// without a spec, which cannot be made again (no such child is ever started again: it
    /// leaves the tree when it ends for good).
    private func renew(_ slot: ChildSlot) throws {
        let old = slot.cell
        guard let spec = slot.spec else { throw ActorSystemError.stopped(old.path) }
        let fresh = spec.makeCell(system: system, parent: owner)
        old.slotInParent = nil
        slot.cell = fresh
        fresh.slotInParent = slot
        owner.replaceChild(old, with: fresh)
    }

    /// Runs a supervision command: from the system façade (start or stop a root child) or
    /// from a ``SupervisorRef`` (OTP's administration requests).
    @usableFromInline
    func run(_ command: SupervisorCommand, owner: CellBase) async {
        let completion = command.completion
        switch command.kind {
        case .start(let spec):
            do {
                completion.succeed(.cell(try await spawnAndWait(spec)))
            } catch {
                completion.fail(error)
            }
        case .stop(let name):
            let found = await stopChild(named: name)
            completion.succeed(.cell(found ? owner : nil))
        case .startChild(let spec):
            completion.complete(await startChild(spec))
        case .terminateChild(let name):
            completion.complete(await terminateChild(named: name))
        case .restartChild(let name):
            completion.complete(await restartChild(named: name))
        case .deleteChild(let name):
            completion.complete(deleteChild(named: name))
        case .whichChildren:
            completion.succeed(.children(orderedSlots.map(describe)))
        }
    }

    // MARK: Administration (SupervisorRef, as OTP's supervisor module)

    private typealias Answer = Result<SupervisorCommand.Answer, any Error>

    /// OTP's `start_child`: a name in use is `already_started` if that child runs, else
    /// `already_present`; a child whose start fails is not kept.
    private func startChild(_ spec: ChildSpec) async -> Answer {
        if let existing = owner.child(named: spec.name) {
            // A child with no slot is one of a keyed supervisor's actors: running.
            let running = slot(for: existing).map(\.phase.isRunning) ?? true
            return .failure(running ? SupervisorError.alreadyStarted(existing.path) : SupervisorError.alreadyPresent(existing.path))
        }
        do {
            return .success(.cell(try await spawnAndWait(spec)))
        } catch {
            return .failure(SupervisorError.startFailed(owner.path.appending(spec.name), error))
        }
    }

    /// OTP's `terminate_child`: stop it for good; keep its slot (stopped) unless it is
    /// temporary.
    private func terminateChild(named name: String) async -> Answer {
        guard let slot = slot(named: name) else { return .failure(SupervisorError.notFound(child: name, supervisor: owner.path)) }
        await stop(slot, mode: .terminate)
        if slot.cell.restart == .temporary { remove(slot) }
        return .success(.cell(nil))
    }

    /// OTP's `restart_child`: start a stopped child again (not counted as a restart towards
    /// the intensity). If the start fails, the child stays, stopped.
    private func restartChild(named name: String) async -> Answer {
        let slot: ChildSlot
        switch stoppedSlot(named: name) {
        case .success(let found): slot = found
        case .failure(let error): return .failure(error)
        }
        do {
            try await start(slot)
            return .success(.cell(slot.cell))
        } catch {
            slot.cell.terminate(.startFailed(error))
            return .failure(SupervisorError.startFailed(slot.cell.path, error))
        }
    }

    /// OTP's `delete_child`: remove a stopped child; its name is free again.
    private func deleteChild(named name: String) -> Answer {
        let slot: ChildSlot
        switch stoppedSlot(named: name) {
        case .success(let found): slot = found
        case .failure(let error): return .failure(error)
        }
        remove(slot)
        slot.cell.terminate(.stopped)
        return .success(.cell(nil))
    }

    /// The slot of the stopped child `name`, or why there is none (OTP's `not_found`,
    /// `running`, `restarting`). A child asked to stop whose exit has not arrived still
    /// runs: starting it again would overlap two incarnations.
    private func stoppedSlot(named name: String) -> Result<ChildSlot, SupervisorError> {
        guard let slot = slot(named: name) else { return .failure(.notFound(child: name, supervisor: owner.path)) }
        switch slot.phase {
        case .running, .stopRequested: return .failure(.running(slot.cell.path))
        case .awaitingRestart: return .failure(.restarting(slot.cell.path))
        case .down, .removed: return .success(slot)
        }
    }

    /// One child as ``SupervisorRef/whichChildren()`` reports it.
    private func describe(_ slot: ChildSlot) -> SupervisorRef.Child {
        let status: SupervisorRef.Child.Status = switch slot.phase {
        case .running, .stopRequested: .running
        case .awaitingRestart: .restarting
        case .down, .removed: .stopped
        }
        return SupervisorRef.Child(
            name: slot.cell.path.name, path: slot.cell.path, status: status,
            kind: slot.cell.isSupervisor ? .supervisor : .worker, restart: slot.cell.restart
        )
    }

    // MARK: Stopping

    /// Stops the child named `name` for good. Returns false if there is no such child.
    @usableFromInline
    func stopChild(named name: String) async -> Bool {
        guard let slot = slot(named: name) else { return false }
        await stop(slot, mode: .terminate)
        remove(slot)
        return true
    }

    /// Stops the child whose cell is `cell` for good, without waiting (``ActorContext/stop(_:)``):
    /// the stop is requested and the exit, when it comes, is not treated as a failure.
    @usableFromInline
    func requestStop(of cell: CellBase) {
        guard let slot = slot(for: cell), let number = slot.phase.requestStop() else { return }
        cell.enqueueSystem(.stop(.terminate))
        scheduleShutdownTimeout(of: cell, incarnation: number, afterCancel: false)
    }

    /// After the child's shutdown timeout, tells this owner that `incarnation` of `cell` did
    /// not end in time (``shutdownTimedOut(_:incarnation:afterCancel:)``).
    private func scheduleShutdownTimeout(of cell: CellBase, incarnation: Int, afterCancel: Bool) {
        guard let timeout = cell.shutdown.timeout else { return }
        system.clock.schedule(ActionTimer(deadline: system.clock.now.advanced(by: timeout)) { [weak owner] in
            owner?.enqueueSystem(.shutdownTimedOut(cell, incarnation: incarnation, afterCancel: afterCancel))
        })
    }

    /// Stops every child, last started first: used when the parent's incarnation ends.
    /// Static children keep their mailboxes (the parent may be restarted and start them
    /// again); run-time children end for good. The restart history goes too: the owner's
    /// next incarnation starts with none, as a restarted OTP supervisor does.
    @usableFromInline
    func stopAll() async {
        await external?.stopAll()
        for slot in orderedSlots.reversed() {
            await stop(slot, mode: slot.isStatic ? .forRestart : .terminate)
            slot.restartTimes.removeAll()
            if !slot.isStatic { remove(slot) }
        }
        planner.forgetRestarts()
    }

    /// Asks the child to stop and waits for its incarnation to end: after the shutdown
    /// timeout its subtree is cancelled, after one more it is abandoned (see
    /// ``CellBase/awaitEnd(_:timeout:)``). An abandoned child is terminated (cancelled); if it
    /// is started again, ``start(_:)`` gives it a new cell.
    private func stop(_ slot: ChildSlot, mode: StopMode) async {
        let cell = slot.cell
        // Ask it to stop unless that was already done (`requestStop`); either way, wait for
        // an incarnation that is still running. Terminating a child whose task still runs
        // would drain its pending stop and leave the task parked for ever.
        let step = slot.phase.stop()
        if step != .nothingRuns, let ended = cell.runningIncarnationEnded {
            if step == .stopAndWait { cell.enqueueSystem(.stop(mode)) }
            await cell.awaitEnd(ended, timeout: cell.shutdown.timeout)
        }
        if mode != .forRestart {
            cell.terminate(.stopped)
        } else {
            cell.noteRestart()
        }
    }

    private func remove(_ slot: ChildSlot) {
        guard slot.phase.remove() else { return }
        slots.remove(slot)
        slot.cell.slotInParent = nil
        owner.removeChild(slot.cell)
    }

    // MARK: Reacting to exits

    /// A child's incarnation ended. Returns the reason the parent must fail with if the
    /// restart intensity is exceeded.
    @usableFromInline
    func childExited(_ cell: CellBase, incarnation: Int, reason: ExitReason) async -> ExitReason? {
        guard let slot = slot(for: cell) else {
            return await external?.childExited(cell, incarnation: incarnation, reason: reason)
        }
        switch slot.phase.exited(incarnation) {
        case .unrequested:
            return await handleEnd(of: slot, reason: reason)
        case .requestedStopEnded:
            cell.terminate(.stopped)
            if !slot.isStatic { remove(slot) }
            return nil
        case .stale:
            return nil
        }
    }

    /// A requested stop did not finish in time: cancel the child's subtree, and if one more
    /// timeout passes, abandon it (as ``CellBase/awaitEnd(_:timeout:)`` does for the stops
    /// this supervision waits for). An abandoned child is gone: the exit of its task, if it
    /// ever comes, is not reported.
    @usableFromInline
    func shutdownTimedOut(_ cell: CellBase, incarnation: Int, afterCancel: Bool) {
        guard let slot = slot(for: cell), slot.phase == .stopRequested(incarnation: incarnation) else { return }
        guard afterCancel else {
            cell.cancelSubtree()
            scheduleShutdownTimeout(of: cell, incarnation: incarnation, afterCancel: true)
            return
        }
        guard let timeout = cell.shutdown.timeout, cell.abandonRunningIncarnation(after: timeout) else { return }
        slot.phase.abandoned(incarnation)
        if !slot.isStatic { remove(slot) }
    }

    /// A delayed restart is due.
    @usableFromInline
    func restartDue(token: Int) async -> ExitReason? {
        var due: [ChildSlot] = []
        for slot in orderedSlots where slot.phase.restartDue(token: token) { due.append(slot) }
        return await startInOrder(due)
    }

    private func handleEnd(of slot: ChildSlot, reason: ExitReason) async -> ExitReason? {
        // One for one needs no order: skip sorting the (possibly many) siblings.
        let ordered = planner.strategy == .oneForOne ? [slot] : orderedSlots
        guard slot.phase != .removed, let index = ordered.firstIndex(where: { $0 === slot }) else { return nil }
        let now = system.clock.now
        let decision = planner.childEnded(
            at: index,
            of: ordered.map(\.cell.restart),
            reason: reason,
            childRestarts: slot.restarts(within: planner.intensity, now: now),
            now: now
        )
        switch decision {
        case .keepDown(let leavesTree):
            slot.cell.terminate(reason)
            if leavesTree { remove(slot) }
            return nil
        case .escalate:
            system.log(.warning, "\(owner.path): restart intensity exceeded (\(planner.intensity.maxRestarts) in \(planner.intensity.period)) after \(slot.cell.path) \(reason); giving up (shutdown)")
            return .escalated(child: slot.cell.path, error: ExitError(reason: reason))
        case .restart(let stopIndices, let startIndices, let delay):
            let toStart = startIndices.map { ordered[$0] }
            let restarting = Set(toStart.map(ObjectIdentifier.init))
            for index in stopIndices {
                // Those not started again (temporary ones) are stopped for good and leave.
                let other = ordered[index]
                let forGood = !restarting.contains(ObjectIdentifier(other))
                await stop(other, mode: forGood ? .terminate : .forRestart)
                if forGood { remove(other) }
            }
            for restarting in toStart {
                restarting.restartTimes.append(now)
                restarting.cell.noteRestart()
            }
            if delay > .zero {
                nextRestartToken += 1
                let token = nextRestartToken
                for restarting in toStart { restarting.phase.restartScheduled(token: token) }
                system.clock.schedule(ActionTimer(deadline: system.clock.now.advanced(by: delay)) { [weak owner] in
                    owner?.enqueueSystem(.restartDue(token: token))
                })
                return nil
            }
            return await startInOrder(toStart)
        }
    }

    /// Starts `list` in order. A start that fails is a new failure of that child, decided
    /// by the planner like any other (so it counts towards the intensity); unless that
    /// escalates, the rest of the list still starts (those the decision already started,
    /// or scheduled for a delayed restart, are skipped).
    private func startInOrder(_ list: [ChildSlot]) async -> ExitReason? {
        for slot in list where slot.phase == .down {
            do {
                try await start(slot)
            } catch {
                if let escalation = await handleEnd(of: slot, reason: .startFailed(error)) { return escalation }
            }
        }
        return nil
    }
}

/// Children a supervisor does not keep in its ordered slots: a keyed supervisor's actors,
/// created on demand by senders and passivated when idle. The supervisor's incarnation
/// forwards their exits here and stops them all when it ends.
@usableFromInline
protocol ExternalChildren: AnyObject, Sendable {
    /// The supervising incarnation is up (after its static children started).
    func ownerStarted(_ owner: CellBase)
    /// One of these children's incarnation ended; returns an escalation if too many failed.
    func childExited(_ cell: CellBase, incarnation: Int, reason: ExitReason) async -> ExitReason?
    /// The supervising incarnation is ending: stop every child.
    func stopAll() async
}

/// Wraps an ``ExitReason`` where an `Error` is needed (an escalation's cause).
public struct ExitError: Error, Sendable, CustomStringConvertible {
    /// The wrapped exit reason; ``description`` is its description.
    public let reason: ExitReason
    public var description: String { reason.description }
}
