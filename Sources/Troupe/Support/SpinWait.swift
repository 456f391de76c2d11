import Glibc

/// How a runtime thread out of work waits a little before it sleeps: the executor's workers
/// and the blocking pools' threads.
///
/// Why spin at all: on this kind of machine (a VM), waking a sleeping thread is a futex
/// system call on the waker's side and tens of microseconds before the sleeper runs. A
/// request that crosses threads (an actor hands a query to a connection thread, which hands
/// the result back) made two or three such wakes per round trip. A thread that polls for a
/// few microseconds before it sleeps takes the next hand-off with no system call.
///
/// Why so short: every spin is CPU burnt while idle. Measured (executor): 256 yields took
/// most of a core in a mostly idle process; 16 cost 3.5% of a core at one message a
/// millisecond.
enum SpinWait {
    /// Plain polls first (well under a microsecond in all).
    static let checks = 128
    /// Then polls each after yielding the CPU to any other runnable thread (about 20 µs in
    /// all when the machine is otherwise idle).
    static let yields = 16

    /// Polls `hasWork` (`checks` times, then `yields` times after `sched_yield`); true as
    /// soon as it returns true, false if it never did.
    @inline(__always)
    static func poll(_ hasWork: () -> Bool) -> Bool {
        for _ in 0..<checks where hasWork() { return true }
        for _ in 0..<yields {
            sched_yield()
            if hasWork() { return true }
        }
        return false
    }
}
