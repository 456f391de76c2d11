import Synchronization

/// Who waits on whom among actors that ask from inside their own handlers, so that an ask
/// that would close a cycle of actors waiting on each other's replies fails at once with
/// ``AskError/deadlock(cycle:)`` instead of waiting for its deadline.
///
/// # Nodes and edges
/// The nodes are cells. Only an ask made by a cell's incarnation task is an edge (an ask from
/// a plain task, or from a child task of a handler, is not: nobody can be waiting on it
/// through a mailbox). That task makes one ask at a time, so a cell has at most one outgoing
/// edge, stored on the cell itself (`awaitedCell`, `awaitedOrdinal`): the graph allocates
/// nothing and a walk is a linked-list walk.
///
/// An edge `A → B, n` says: A's incarnation waits for the reply to the request that entered
/// B's mailbox as B's n-th user message (its *ordinal*; `UserQueue.enqueuedTotal` just after
/// it was appended, so ordinals start at 1 and 0 means "no edge").
///
/// # When an edge blocks (the forwarding rule)
/// A ``ReplyTo`` may be passed on to another actor that replies instead, so waiting for a
/// reply from B does not mean waiting on B for ever. The edge `A → B, n` blocks only while B
/// has not *finished* its n-th message:
///
///     blocks(A → B, n)  ⇔  B.messagesFinished < n
///
/// B finishes a message when its handler returns or throws (``CellBase/noteMessageFinished()``)
/// or when the message leaves the mailbox unhandled (evicted by `dropOldest`, dropped when the
/// actor stops, left over by an incarnation that will not run again). Handlers take messages
/// in ordinal order and only the oldest queued message can be evicted, so when B has handled
/// message n, every message before it has finished: the count is at least n and the edge no
/// longer blocks. (A count can run ahead of the order only through an eviction while older
/// messages are still being handled; that can only hide a cycle for a moment, never invent
/// one.) So A asks B, B passes A's `ReplyTo` to C and returns, later B asks A: no deadlock
/// is reported, since A waits on C, not on B.
///
/// Known limit: a handler that passes its asker's `ReplyTo` on and then, in the same
/// handler, asks that asker is reported as a deadlock (its message is not finished yet, so
/// the edge still blocks), although the third actor's reply would have freed them both.
///
/// # Check and set
/// 1. Before delivering (``cycleBeforeDelivery(asker:target:)``): if following blocking edges
///    from the target leads back to the asker, the request is not delivered (it becomes a
///    dead letter, ``DeadLetterReason/askCycle``). One relaxed load when the target waits on
///    nobody, as it usually does; the lock otherwise.
/// 2. After delivering (``beginWait(asker:on:ordinal:)``), under the lock: the walk is
///    repeated from the cell that took the request and, if it does not come back, the edge
///    is recorded with the request's ordinal. A cycle closes exactly when its last edge
///    would be recorded, and that walk finds it; so of two actors asking each other at the
///    same moment exactly one, the second to reach this step, fails (its request was
///    delivered already: the other actor handles it later and its reply is ignored). The
///    other ask completes once the failed handler moves on.
/// 3. When the ask ends, however it ends (``endWait(asker:)``), under the lock: the edge goes.
///
/// Invariant: blocking edges never form a cycle (each recording checks that it closes
/// none, and an edge that stopped blocking never blocks again), so every walk ends.
///
/// # Bounds
/// A walk follows at most ``maxWalk`` edges; a longer chain of waiting actors is not
/// checked (its asks end at their deadlines, as without this graph).
///
/// # Thread safety
/// `awaitedCell` of every cell is read and written only under `lock`; `awaitedOrdinal` is
/// written under it and read under it, or without it for the fast path of step 1 (a stale
/// zero only skips that best-effort step). The finished counts are atomics: the walking
/// asker reads its own mailbox's counts after its own lock operations, so it never sees a
/// message it has finished as unfinished.
@usableFromInline
final class WaitForGraph: Sendable {
    /// The most edges one walk follows.
    static var maxWalk: Int { 1_024 }

    private let lock = Lock()
    private let cyclesRefused = Atomic<Int>(0)

    init() {}

    /// Asks refused because they would have closed a cycle, since the system started.
    var cyclesDetected: Int { cyclesRefused.load(ordering: .relaxed) }

    /// Step 1: the cycle `asker` would close by asking `target`, asker first, or nil.
    @usableFromInline
    func cycleBeforeDelivery(asker: CellBase, target: CellBase) -> [ActorPath]? {
        // The usual case: the target waits on nobody and is not the asker.
        guard target === asker || target.awaitedOrdinal.load(ordering: .relaxed) != 0 else { return nil }
        lock.lock()
        defer { lock.unlock() }
        guard closesCycle(asker: asker, from: target) else { return nil }
        cyclesRefused.add(1, ordering: .relaxed)
        return pathsOfCycle(asker: asker, from: target)
    }

    /// Step 2: records that `asker` waits on `receiver`'s message `ordinal`, unless that
    /// closes a cycle: then nothing is recorded and the cycle is returned, asker first.
    @usableFromInline
    func beginWait(asker: CellBase, on receiver: CellBase, ordinal: Int) -> [ActorPath]? {
        lock.lock()
        defer { lock.unlock() }
        // Finished already (handled at once, its ReplyTo passed on): the asker waits on
        // nobody the graph knows, and records nothing.
        guard receiver.messagesFinished < ordinal else { return nil }
        if closesCycle(asker: asker, from: receiver) {
            cyclesRefused.add(1, ordering: .relaxed)
            return pathsOfCycle(asker: asker, from: receiver)
        }
        asker.awaitedCell = receiver
        asker.awaitedOrdinal.store(ordinal, ordering: .relaxed)
        return nil
    }

    /// Step 3: `asker` no longer waits (its ask ended).
    @usableFromInline
    func endWait(asker: CellBase) {
        lock.lock()
        asker.awaitedCell = nil
        asker.awaitedOrdinal.store(0, ordering: .relaxed)
        lock.unlock()
    }

    /// Under `lock`: whether blocking edges lead from `start` to `asker` (`start` itself
    /// being the asker counts: an actor that asks itself from its handler).
    private func closesCycle(asker: CellBase, from start: CellBase) -> Bool {
        var current = start
        for _ in 0..<Self.maxWalk {
            if current === asker { return true }
            guard let next = blockingEdge(of: current) else { return false }
            current = next
        }
        return false
    }

    /// Under `lock`: the paths of the cycle `closesCycle` found, asker first.
    private func pathsOfCycle(asker: CellBase, from start: CellBase) -> [ActorPath] {
        var paths = [asker.path]
        var current = start
        while current !== asker, let next = blockingEdge(of: current) {
            paths.append(current.path)
            current = next
        }
        return paths
    }

    /// Under `lock`: the cell `cell` waits on, if that edge still blocks.
    private func blockingEdge(of cell: CellBase) -> CellBase? {
        let ordinal = cell.awaitedOrdinal.load(ordering: .relaxed)
        guard ordinal != 0, let next = cell.awaitedCell, next.messagesFinished < ordinal else { return nil }
        return next
    }
}

extension CellBase {
    /// One user message of this actor is finished: its handler returned or threw.
    ///
    /// Call it once per user message handled, from whoever holds the actor's turn (the
    /// incarnation loop, or a sender running an immediate turn): those never overlap, so a
    /// relaxed load and store is enough (no read-modify-write). Messages that came through
    /// the system lane have no ordinal and must not be counted.
    @usableFromInline
    func noteMessageFinished() {
        messagesFinishedByTurns.store(messagesFinishedByTurns.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
    }

    /// `count` user messages left the mailbox unhandled (evicted, dropped on stop, left over).
    @usableFromInline
    func noteMessagesLeftUnhandled(_ count: Int) {
        if count > 0 { messagesFinishedUnhandled.add(count, ordering: .relaxed) }
    }

    /// User messages finished so far, handled or not (see ``WaitForGraph``).
    @usableFromInline
    var messagesFinished: Int {
        messagesFinishedByTurns.load(ordering: .relaxed) &+ messagesFinishedUnhandled.load(ordering: .relaxed)
    }
}
