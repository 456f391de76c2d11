/// Deadlines of many short waits (asks, senders waiting for room, senders waiting for a
/// keyed slot) without a timer-heap entry each.
///
/// Waits with the same timeout end in the order they began, so each timeout value gets a
/// FIFO "lane" ordered by deadline: adding is an append, finishing early is an unlink,
/// both O(1). One sweep timer per system fires at the earliest deadline of any lane and
/// expires what is due. A steady stream of asks with the default timeout therefore costs
/// two short critical sections each, and the sweep timer is re-armed about once per timeout
/// period rather than once per ask.
@usableFromInline
// Unchecked Sendable: `lanes`, every node's links and `sweepDue` are guarded by `lock`.
final class DeadlineLanes: @unchecked Sendable {
    private let lock = Lock()
    private let clock: any ActorClock
    private var lanes: [Duration: Lane] = [:]
    /// When the sweep timer is due; nil when none is scheduled.
    private var sweepDue: ClockInstant?

    final class Lane {
        var head: DeadlineNode?
        var tail: DeadlineNode?
    }

    init(clock: any ActorClock) {
        self.clock = clock
    }

    /// Starts `node`'s deadline: `timeout` from now.
    @usableFromInline
    func add(_ node: DeadlineNode, timeout: Duration) {
        let deadline = clock.now.advanced(by: timeout)
        let schedule: ClockInstant? = lock.withLock {
            let lane = lanes[timeout] ?? {
                let lane = Lane()
                lanes[timeout] = lane
                return lane
            }()
            node.deadline = deadline
            node.lane = lane
            node.previous = lane.tail
            node.next = nil
            if let tail = lane.tail { tail.next = node } else { lane.head = node }
            lane.tail = node
            if let due = sweepDue, due <= deadline { return nil }
            sweepDue = deadline
            return deadline
        }
        if let schedule { scheduleSweep(at: schedule) }
    }

    /// Ends `node`'s deadline early (the wait finished). Returns false if it had already
    /// expired (or was never added).
    @usableFromInline
    @discardableResult
    func remove(_ node: DeadlineNode) -> Bool {
        lock.withLock { unlink(node) }
    }

    /// Under `lock`.
    private func unlink(_ node: DeadlineNode) -> Bool {
        guard let lane = node.lane else { return false }
        if let previous = node.previous { previous.next = node.next } else { lane.head = node.next }
        if let next = node.next { next.previous = node.previous } else { lane.tail = node.previous }
        node.previous = nil
        node.next = nil
        node.lane = nil
        return true
    }

    private func scheduleSweep(at deadline: ClockInstant) {
        clock.schedule(ActionTimer(deadline: deadline) { [weak self] in self?.sweep(due: deadline) })
    }

    /// Expires every due node, then re-arms for the earliest remaining deadline.
    private func sweep(due: ClockInstant) {
        var expired: [DeadlineNode] = []
        let next: ClockInstant? = lock.withLock {
            // A later re-arm superseded this timer only if it is due earlier; either way the
            // sweep below is correct, it may just find nothing.
            if sweepDue == due { sweepDue = nil }
            let now = clock.now
            var earliest: ClockInstant?
            var emptied: [Duration] = []
            for (timeout, lane) in lanes {
                while let head = lane.head, head.deadline <= now {
                    _ = unlink(head)
                    expired.append(head)
                }
                guard let head = lane.head else {
                    emptied.append(timeout)
                    continue
                }
                if earliest.map({ head.deadline < $0 }) ?? true { earliest = head.deadline }
            }
            // Lanes of timeouts no longer in use go, so the set of lanes stays as small as
            // the set of timeouts in use (a lane is remade by the next wait that needs it).
            for timeout in emptied { lanes[timeout] = nil }
            guard let earliest else { return nil }
            if let scheduled = sweepDue, scheduled <= earliest { return nil }
            sweepDue = earliest
            return earliest
        }
        if let next { scheduleSweep(at: next) }
        for node in expired { node.deadlinePassed() }
    }
}

/// A wait with a deadline in ``DeadlineLanes``. Subclasses say what expiry means.
@usableFromInline
// Unchecked Sendable: the links and `deadline` are guarded by the lanes' lock; the
// subclasses guard their own state.
class DeadlineNode: @unchecked Sendable {
    var deadline = ClockInstant.zero
    fileprivate var previous: DeadlineNode?
    fileprivate var next: DeadlineNode?
    fileprivate var lane: DeadlineLanes.Lane?

    @usableFromInline
    init() {}

    /// Called once, on the clock's thread, when the deadline passed before the wait ended.
    @usableFromInline
    func deadlinePassed() {}
}
