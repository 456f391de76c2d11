import Synchronization

/// Who waits on whom among actors that ask from inside their own handlers, so that an ask
/// that would close a cycle of actors waiting on each other's replies fails at once with
/// ``AskError/deadlock(cycle:)`` instead of waiting for its deadline.
///
/// # Nodes and edges
/// The nodes are cells. Only an ask made by a cell's incarnation task is an edge (an ask from
/// a plain task, or from a child task of a handler, is not: no mailbox makes anyone wait
/// for it). That task makes one ask at a time, so a cell has at most one outgoing edge,
/// stored on the cell itself (`awaitedCell`, `awaitedOrdinal`): the graph allocates nothing
/// and a walk is a linked-list walk.
///
/// An edge `A → B, n` says: A's incarnation waits for the reply to the request that entered
/// B's mailbox as B's n-th user message (its *ordinal*: `UserQueue.enqueuedTotal` just after
/// it was appended, so ordinals start at 1). `n = 0`: no edge. `n = Int.max`: not settled
/// yet (the request is on its way).
///
/// # When an edge blocks (the forwarding rule)
/// A ``ReplyTo`` may be passed on to another actor that replies instead, so waiting for a
/// reply from B does not mean waiting on B for ever. The edge `A → B, n` blocks only while B
/// has not *finished* its n-th message:
///
///     blocks(A → B, n)  ⇔  n ≠ 0  ∧  B.messagesFinished < n
///
/// B finishes a message when its handler returns or throws (``CellBase/noteMessageFinished()``)
/// or when the message leaves the mailbox unhandled (evicted by `dropOldest`, dropped when the
/// actor stops, left over by an incarnation that will not run again). Handlers take messages
/// in ordinal order and only the oldest queued message can be evicted, so once B has handled
/// message n, every message before it has finished too: the count is at least n and the edge
/// no longer blocks. (The count can run ahead of the order only through an eviction while
/// older messages are being handled; that can hide a cycle for a moment, never invent one.)
/// So: A asks B, B passes A's `ReplyTo` on to C and returns, later B asks A: no deadlock, since
/// A waits on C, not on B.
///
/// Known limit: a handler that passes its asker's `ReplyTo` on and then, in the same handler,
/// asks that asker is reported as a deadlock (its message is not finished, so the edge still
/// blocks), although the third actor's reply would have freed them both.
///
/// # Check and set
/// 1. Before delivering (``beginWait(asker:on:)``): the edge is recorded, unsettled
///    (`Int.max`: it blocks), and then the target's edge is read, both sequentially
///    consistent. If the target waits on nobody, that is all: no lock, no walk. Otherwise,
///    under `lock`, if following blocking edges from the target leads back to the asker, the
///    edge is removed again (before the lock is released), the ask fails and its request is
///    not delivered (it becomes a dead letter, ``DeadLetterReason/askCycle``).
///
///    Of the edges closing a cycle, the one recorded last in that order sees the edge of its
///    target (recorded before its read) and walks, so no cycle is missed; walks take turns
///    under the lock and a failed walk removes its edge first, so of two actors asking each
///    other at the same moment exactly one fails; the other's ask completes once the failed
///    handler moves on.
/// 2. While delivering, under the *receiver's* lock, in the same hold as the offer
///    (`ActorCell.offerWithoutWaiting`, or `sendUnlessClosed(settling:)` for a keyed ask): the edge is settled with the request's ordinal, or 0 if the
///    request did not enter the mailbox now (it must wait for room: an ask that waited for
///    room is left out of the graph, and ends at its deadline as before). Settling only lowers
///    the ordinal, so it never closes a cycle and needs no check; and it happens before the
///    receiver can take the request, so the receiver (and anyone whose walk reaches it) sees
///    the settled ordinal once it has finished the request: no false cycle.
/// 3. When the ask ends, however it ends (``endWait(asker:)``): the edge goes, without the
///    lock unless a walk is under way (see # Thread safety).
///
/// Invariant: a cycle of blocking edges lasts only until the walk of its last edge ends
/// (that walk removes its edge). An edge only ever stops blocking after step 1 (ordinals
/// only go down, finished counts only up), and a walk follows at most ``maxWalk`` edges, so
/// every walk ends.
///
/// # Bounds
/// A walk follows at most ``maxWalk`` edges; a longer chain of waiting actors is not
/// checked (its asks end at their deadlines, as without this graph).
///
/// # Thread safety
/// `awaitedCell` is unretained (an address) and means something only while
/// `awaitedOrdinal` is not 0: step 1 stores the address (releasing) before the ordinal, and a
/// walk reads the ordinal before the address, inside the ask, whose caller holds the target
/// alive until the ask returns; step 3 only zeroes the ordinal. Both are written only by the
/// cell's own incarnation task.
///
/// Neither step 1's usual case nor step 3 takes the lock, and both come with every ask from
/// a handler (measured against a build without the graph, ask ping-pong: the check cost
/// 6.6–7.3 % with the lock in both steps, 5.2 % with neither). A walk
/// could have read an ordinal just before it was zeroed and then follow `awaitedCell` to a
/// target the ended ask no longer holds alive. So a walk counts itself in `walkers` before
/// it reads any edge, and step 3 reads `walkers` after zeroing the ordinal, both with
/// sequentially consistent operations: either the walk sees the zero (and does not follow
/// the edge), or step 3 sees the walk and waits for it by taking and releasing `lock`
/// (walks run entirely under it) before the ask may return.
///
/// The finished counts are atomics whose writes precede, in each writer's program order,
/// the lock operations that would let a walker depend on them.
@usableFromInline
final class WaitForGraph: Sendable {
    /// The most edges one walk follows.
    static var maxWalk: Int { 1_024 }

    /// The ordinal of an edge whose request is on its way (it blocks).
    static var unsettled: Int { .max }

    private let lock = Lock()
    private let cycles = Atomic<Int>(0)
    /// Walks under way (each under `lock`); see # Thread safety.
    private let walkers = Atomic<Int>(0)

    init() {}

    /// Asks that failed with a deadlock since the system started.
    var cyclesDetected: Int { cycles.load(ordering: .relaxed) }

    /// Step 1: records that `asker` (a handler's cell) waits on `target`, unless that closes
    /// a cycle: then nothing is recorded and the cycle is returned, asker first.
    @usableFromInline
    func beginWait(asker: CellBase, on target: CellBase) -> [ActorPath]? {
        // The edge first, then a look at the target's (see # Check and set).
        asker.awaitedCellAddress.store(target.graphAddress, ordering: .releasing)
        asker.awaitedOrdinal.store(Self.unsettled, ordering: .sequentiallyConsistent)
        // The usual case, without the lock: the target is another actor that waits on nobody.
        if target !== asker && target.awaitedOrdinal.load(ordering: .sequentiallyConsistent) == 0 { return nil }
        lock.lock()
        defer { lock.unlock() }
        walkers.add(1, ordering: .sequentiallyConsistent)
        defer { walkers.subtract(1, ordering: .relaxed) }
        guard let hops = hopsBack(to: asker, from: target) else { return nil }
        // Not waiting after all; zeroed before the lock is released, so the next walk does
        // not see this edge (of two asks closing one cycle, only the first walk fails).
        asker.awaitedOrdinal.store(0, ordering: .sequentiallyConsistent)
        cycles.add(1, ordering: .relaxed)
        return pathsOfCycle(asker: asker, from: target, hops: hops)
    }

    /// Step 3: `asker` no longer waits (its ask ended, or left the graph).
    @usableFromInline
    func endWait(asker: CellBase) {
        _ = asker.awaitedOrdinal.exchange(0, ordering: .sequentiallyConsistent)
        if walkers.load(ordering: .sequentiallyConsistent) > 0 {
            // A walk may have read the edge before it ended: let it finish before the ask
            // returns and stops holding the target alive.
            lock.lock()
            lock.unlock()
        }
    }

    /// Under `lock`: how many blocking edges lead from `start` back to `asker` (0 when
    /// `start` is the asker: an actor asking itself from its handler), or nil.
    private func hopsBack(to asker: CellBase, from start: CellBase) -> Int? {
        var current = start
        for hops in 0..<Self.maxWalk {
            if current === asker { return hops }
            guard let next = blockingEdge(of: current) else { return nil }
            current = next
        }
        return nil
    }

    /// Under `lock`: the paths of the cycle `hopsBack` found, asker first. Follows the same
    /// `awaitedCell` links; the cells they name stay alive, since an ask that ends meanwhile
    /// waits for this walk before it returns (``endWait(asker:)``).
    private func pathsOfCycle(asker: CellBase, from start: CellBase, hops: Int) -> [ActorPath] {
        var paths = [asker.path]
        var current = start
        for _ in 0..<hops {
            paths.append(current.path)
            guard let next = current.awaitedCell else { break }
            current = next.takeUnretainedValue()
        }
        return paths
    }

    /// Under `lock`: the cell `cell` waits on, if that edge blocks.
    private func blockingEdge(of cell: CellBase) -> CellBase? {
        let ordinal = cell.awaitedOrdinal.load(ordering: .sequentiallyConsistent)
        guard ordinal != 0, let next = cell.awaitedCell?.takeUnretainedValue(), next.messagesFinished < ordinal else { return nil }
        return next
    }
}

extension CellBase {
    /// One user message of this actor is finished: its handler returned or threw.
    ///
    /// Call it once per user message handled, from whoever holds the actor's turn (the
    /// incarnation loop, or a sender running an immediate turn), after the handler: turns
    /// never overlap, so a relaxed load and store is enough (no read-modify-write).
    /// Messages that came through the system lane have no ordinal and are not counted.
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
    var messagesFinished: Int {
        messagesFinishedByTurns.load(ordering: .relaxed) &+ messagesFinishedUnhandled.load(ordering: .relaxed)
    }

    /// Step 2 of ``WaitForGraph``, called by this cell's own incarnation task under
    /// `receiver`'s lock: the request it waits for entered `receiver`'s mailbox at
    /// `ordinal` (0: it did not). Ignored unless the recorded edge names `receiver` (a keyed
    /// ask redirected to another cell leaves the graph instead, see ``leaveWaitUnlessOn(_:)``).
    @usableFromInline
    func settleWait(on receiver: CellBase, ordinal: Int) {
        guard awaitedCellAddress.load(ordering: .relaxed) == receiver.graphAddress else { return }
        awaitedOrdinal.store(ordinal, ordering: .relaxed)
    }

    /// Called by this cell's own incarnation task before it sends its ask's request to
    /// `receiver`: if its edge names another cell (a keyed ask redirected to the key's next
    /// actor), the ask leaves the graph: it can then only end at its deadline, never be
    /// reported as a false cycle.
    @usableFromInline
    func leaveWaitUnlessOn(_ receiver: CellBase) {
        // An ended edge keeps its address (only its ordinal is zeroed): nothing to leave.
        guard awaitedOrdinal.load(ordering: .relaxed) != 0,
              awaitedCellAddress.load(ordering: .relaxed) != receiver.graphAddress else { return }
        system.waitForGraph.endWait(asker: self)
    }

    /// This cell's address as an edge names it (compared, never followed without the
    /// rules of ``WaitForGraph``).
    var graphAddress: UnsafeRawPointer {
        UnsafeRawPointer(Unmanaged.passUnretained(self).toOpaque())
    }
}
