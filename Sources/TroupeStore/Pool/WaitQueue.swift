import Troupe

/// The requests waiting for a connection, first come first served, each with its own
/// deadline.
///
/// Deadlines need not follow arrival order (callers choose their timeouts), so expiry scans
/// the queue. That is O(n) per sweep with n bounded by ``PoolOptions/maxWaiters``, and
/// sweeps happen only when a deadline is due, never per request served.
struct WaitQueue {
    struct Entry {
        let job: any PoolJob
        let purpose: JobPurpose
        /// Attempts already made (retries wait here too once their backoff is over).
        let attempt: Int
        /// The breaker's leave to run this attempt.
        let permit: CircuitBreakerState.Permit
    }

    private var entries: [Entry] = []
    /// Index of the first live entry: popping is O(1); the dead prefix is dropped when it
    /// outgrows the live part.
    private var head = 0

    var count: Int { entries.count - head }
    var isEmpty: Bool { head == entries.count }

    mutating func append(_ entry: Entry) {
        entries.append(entry)
    }

    /// Puts `entry` first (a probe, or a retry whose backoff is over: it already waited).
    mutating func prepend(_ entry: Entry) {
        if head > 0 {
            head -= 1
            entries[head] = entry
        } else {
            entries.insert(entry, at: 0)
        }
    }

    mutating func popFirst() -> Entry? {
        guard head < entries.count else { return nil }
        let entry = entries[head]
        head += 1
        if head == entries.count {
            entries.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 64 && head * 2 > entries.count {
            entries.removeFirst(head)
            head = 0
        }
        return entry
    }

    /// Removes and returns the entries whose deadline is at or before `now`, and those
    /// whose caller already gave up.
    mutating func removeExpired(now: ClockInstant) -> [Entry] {
        var expired: [Entry] = []
        var kept: [Entry] = []
        kept.reserveCapacity(count)
        for entry in entries[head...] {
            if entry.job.deadline <= now || entry.job.isFinished {
                expired.append(entry)
            } else {
                kept.append(entry)
            }
        }
        entries = kept
        head = 0
        return expired
    }

    /// Removes and returns every entry.
    mutating func removeAll() -> [Entry] {
        defer {
            entries.removeAll()
            head = 0
        }
        return Array(entries[head...])
    }

    /// The earliest deadline of a waiting entry.
    var earliestDeadline: ClockInstant? {
        entries[head...].lazy.map(\.job.deadline).min()
    }
}
