/// A min-heap of ``ClockTimer``s ordered by (deadline, scheduling order), with O(log n)
/// removal of any timer through the index each timer keeps.
///
/// Not thread-safe: the clock that owns it guards it with its lock.
package struct TimerHeap {
    private var timers: [ClockTimer] = []
    private var nextSequence: UInt64 = 0

    package init() {}

    package var count: Int { timers.count }
    package var isEmpty: Bool { timers.isEmpty }

    /// The earliest timer, if any.
    package var first: ClockTimer? { timers.first }

    /// Every scheduled deadline, earliest first (for tests and introspection).
    package var deadlines: [ClockInstant] {
        timers.map(\.deadline).sorted()
    }

    package mutating func insert(_ timer: ClockTimer) {
        precondition(timer.heapIndex < 0, "a ClockTimer can be scheduled only once")
        timer.sequence = nextSequence
        nextSequence &+= 1
        timer.heapIndex = timers.count
        timers.append(timer)
        siftUp(timers.count - 1)
    }

    /// Removes `timer`; returns false if it is not in this heap.
    @discardableResult
    package mutating func remove(_ timer: ClockTimer) -> Bool {
        let index = timer.heapIndex
        guard index >= 0, index < timers.count, timers[index] === timer else { return false }
        let last = timers.count - 1
        if index != last {
            swapAt(index, last)
        }
        timers.removeLast()
        timer.heapIndex = -1
        if index < timers.count {
            siftDown(index)
            siftUp(index)
        }
        return true
    }

    /// Removes and returns the earliest timer if it is due at `now`.
    package mutating func popDue(at now: ClockInstant) -> ClockTimer? {
        guard let first = timers.first, first.deadline <= now else { return nil }
        remove(first)
        return first
    }

    private func precedes(_ a: Int, _ b: Int) -> Bool {
        let lhs = timers[a], rhs = timers[b]
        if lhs.deadline != rhs.deadline { return lhs.deadline < rhs.deadline }
        return lhs.sequence < rhs.sequence
    }

    private mutating func swapAt(_ a: Int, _ b: Int) {
        timers.swapAt(a, b)
        timers[a].heapIndex = a
        timers[b].heapIndex = b
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard precedes(child, parent) else { return }
            swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < timers.count else { return }
            var smallest = left
            let right = left + 1
            if right < timers.count, precedes(right, left) { smallest = right }
            guard precedes(smallest, parent) else { return }
            swapAt(smallest, parent)
            parent = smallest
        }
    }
}
