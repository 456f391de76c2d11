import Glibc

/// A thread the runtime owns: started with a body, joined when its owner shuts down.
///
/// Blocking work (timer waits, executor parking, blocking C calls) runs on these threads,
/// never on Swift's cooperative pool.
package struct RuntimeThread: Sendable {
    private let handle: pthread_t

    /// Starts a thread running `body`. (`name` is kept for diagnostics; Glibc's module does
    /// not export `pthread_setname_np`.)
    package static func start(name: String, _ body: @escaping @Sendable () -> Void) -> RuntimeThread {
        let box = Unmanaged.passRetained(ThreadBody(name: name, body: body)).toOpaque()
        var handle = pthread_t()
        let status = pthread_create(&handle, nil, { argument in
            let box = Unmanaged<ThreadBody>.fromOpaque(argument!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        precondition(status == 0, "pthread_create failed: \(status)")
        return RuntimeThread(handle: handle)
    }

    /// Waits for the thread to finish. Must not be called from the thread itself.
    package func join() {
        pthread_join(handle, nil)
    }

    /// Lets the thread finish on its own (used when the joiner would be the thread itself).
    package func detach() {
        pthread_detach(handle)
    }

    /// True if the calling thread is this one.
    package var isCurrent: Bool {
        pthread_equal(handle, pthread_self()) != 0
    }
}

private final class ThreadBody {
    let name: String
    let body: @Sendable () -> Void

    init(name: String, body: @escaping @Sendable () -> Void) {
        // Linux caps thread names at 15 bytes; cut at a character boundary.
        var short = ""
        for character in name {
            guard short.utf8.count + character.utf8.count <= 15 else { break }
            short.append(character)
        }
        self.name = short
        self.body = body
    }
}

/// Nanoseconds on the coarse monotonic clock: a few milliseconds of resolution, read from
/// memory without a system call (a few nanoseconds), for measures that need no more.
@usableFromInline
package func coarseMonotonicNanoseconds() -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC_COARSE, &spec)
    return Int64(spec.tv_sec) &* 1_000_000_000 &+ Int64(spec.tv_nsec)
}

/// Nanoseconds on the monotonic clock (never goes back; unaffected by wall-clock changes).
@usableFromInline
package func monotonicNanoseconds() -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Int64(spec.tv_sec) &* 1_000_000_000 &+ Int64(spec.tv_nsec)
}

/// Online processor count.
package func systemCoreCount() -> Int {
    Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
}

/// Writes `text` to standard error, unbuffered.
package func writeToStandardError(_ text: String) {
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + offset, $0.count - offset) }
        if written <= 0 { return }
        offset += written
    }
}
