import CMalloc
import Glibc

/// The server process's policy for glibc's allocator, applied once at program start by the
/// `troupe` executable (and by the benchmarks, so they measure what it runs).
///
/// Why: each of glibc's per-thread heaps gives its freed top back to the system with
/// `madvise(MADV_DONTNEED)` as soon as it exceeds the trim threshold (128 KiB by default).
/// Actor work allocates and frees on many threads, so under a SAY load the server made about
/// one such call per request, and each makes every core flush its TLB (an interrupt to the
/// other core). Keeping up to ``trimThreshold`` free at the top of each heap removed them
/// (29,247 calls to 2 for 30,000 SAYs) and raised SAY throughput by about a quarter here. The
/// cost: up to that much freed memory per heap stays in the process after a burst.
public enum AllocatorPolicy {
    /// Free memory each heap may keep at its top before giving it back: 64 MiB.
    public static let trimThreshold = 64 << 20

    /// Sets glibc's trim threshold to ``trimThreshold``, unless the operator set one with
    /// `GLIBC_TUNABLES` (which then wins). Returns whether it was set. Call before the
    /// threads start.
    @discardableResult
    public static func apply(environment: [String: String]) -> Bool {
        if let tunables = environment["GLIBC_TUNABLES"], tunables.contains("malloc.trim_threshold") { return false }
        return cmalloc_set_trim_threshold(Int32(trimThreshold)) == 1
    }
}
