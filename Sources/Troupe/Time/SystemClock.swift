import Glibc

/// The real clock: monotonic time, with timers fired by one thread the clock owns.
///
/// Each `SystemClock` has its own timer thread, started by `schedule` when there is none,
/// ended once it has had no timer for `idleThreadLinger` (so a clock, or a system, that is
/// shut down but still referenced holds no thread), and stopped when the clock is
/// deinitialised (timers still pending then never fire). Nothing is shared between clocks,
/// so independent systems in one process do not interfere.
///
/// # Thread safety
/// All methods may be called from any thread. Timers fire on the clock's thread, in
/// deadline order; a firing timer must not block.
// Unchecked Sendable: `origin` is immutable; everything mutable is inside `core`,
// which guards it with its own lock.
public final class SystemClock: ActorClock, @unchecked Sendable {
    private let origin: Int64
    private let core: TimerThreadCore

    /// A clock whose origin is now. Its timer thread ends after `idleThreadLinger` without
    /// timers (default 1 s; at least 1 ms) and starts again with the next timer.
    public init(idleThreadLinger: Duration = .seconds(1)) {
        origin = monotonicNanoseconds()
        let linger = max(idleThreadLinger, .milliseconds(1))
        core = TimerThreadCore(
            origin: origin,
            lingerNanoseconds: linger.components.seconds &* 1_000_000_000 &+ linger.components.attoseconds / 1_000_000_000
        )
    }

    deinit {
        core.stop()
    }

    /// Time since the clock was created, from `CLOCK_MONOTONIC` in whole nanoseconds (it
    /// does not advance while the machine is suspended).
    public var now: ClockInstant {
        ClockInstant(offset: .nanoseconds(monotonicNanoseconds() - origin))
    }

    /// Hands `timer` to the clock's timer thread, starting that thread if none is running.
    public func schedule(_ timer: ClockTimer) {
        core.schedule(timer)
    }

    /// Removes `timer` if it is still waiting to fire; returns whether it was.
    @discardableResult
    public func cancel(_ timer: ClockTimer) -> Bool {
        core.cancel(timer)
    }

    /// Number of timers waiting to fire (for introspection).
    public var pendingTimerCount: Int {
        core.pendingCount
    }

    /// Whether the timer thread runs now (it ends when idle; for introspection and tests).
    public var hasTimerThread: Bool {
        core.hasThread
    }
}

/// The timer thread and its heap.
///
/// Wake-up policy: the thread records the deadline it sleeps until; `schedule` signals it
/// only when the new timer is due earlier than that. A steady stream of asks with the same
/// timeout therefore costs a heap insert and remove each, not a futex wake each.
// Unchecked Sendable: every mutable field is accessed only while holding `lock`.
private final class TimerThreadCore: @unchecked Sendable {
    private let lock = Lock()
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private let origin: Int64
    private let lingerNanoseconds: Int64
    private var heap = TimerHeap()
    private var thread: RuntimeThread?
    private var stopping = false
    /// Absolute monotonic nanoseconds the thread sleeps until; `nil` while it is awake or
    /// sleeping with no deadline (then any new timer must signal it).
    private var sleepingUntil: Int64?
    private var sleepingForever = false

    init(origin: Int64, lingerNanoseconds: Int64) {
        self.origin = origin
        self.lingerNanoseconds = lingerNanoseconds
        condition = .allocate(capacity: 1)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        condition.deallocate()
    }

    var pendingCount: Int {
        lock.withLock { heap.count }
    }

    var hasThread: Bool {
        lock.withLock { thread != nil }
    }

    func schedule(_ timer: ClockTimer) {
        let absolute = origin &+ timer.deadline.nanoseconds
        let (signal, startThread): (Bool, Bool) = lock.withLock {
            if stopping { return (false, false) }
            heap.insert(timer)
            let start = thread == nil
            if let until = sleepingUntil {
                return (absolute < until, start)
            }
            return (sleepingForever, start)
        }
        if startThread { startThreadIfNeeded() }
        if signal { pthread_cond_signal(condition) }
    }

    func cancel(_ timer: ClockTimer) -> Bool {
        lock.withLock { heap.remove(timer) }
    }

    func stop() {
        let thread: RuntimeThread? = lock.withLock {
            stopping = true
            return self.thread
        }
        pthread_cond_signal(condition)
        guard let thread else { return }
        if thread.isCurrent { thread.detach() } else { thread.join() }
    }

    private func startThreadIfNeeded() {
        lock.lock()
        guard thread == nil, !stopping else {
            lock.unlock()
            return
        }
        thread = RuntimeThread.start(name: "troupe-timer") { [self] in run() }
        lock.unlock()
    }

    private func run() {
        var due: [ClockTimer] = []
        lock.lock()
        while !stopping {
            let now = monotonicNanoseconds() &- origin
            let nowInstant = ClockInstant(offset: .nanoseconds(now))
            while let timer = heap.popDue(at: nowInstant) { due.append(timer) }
            if !due.isEmpty {
                lock.unlock()
                for timer in due { timer.fire() }
                due.removeAll(keepingCapacity: true)
                lock.lock()
                continue
            }
            if let next = heap.first {
                let absolute = origin &+ next.deadline.nanoseconds
                sleepingUntil = absolute
                var spec = timespec(tv_sec: Int(absolute / 1_000_000_000), tv_nsec: Int(absolute % 1_000_000_000))
                pthread_cond_timedwait(condition, lock.pointer, &spec)
                sleepingUntil = nil
            } else {
                // Idle: linger (any new timer signals), then end; `schedule` starts a new
                // thread. Deciding under the lock means a timer is never left without one.
                sleepingForever = true
                let absolute = monotonicNanoseconds() &+ lingerNanoseconds
                var spec = timespec(tv_sec: Int(absolute / 1_000_000_000), tv_nsec: Int(absolute % 1_000_000_000))
                let status = pthread_cond_timedwait(condition, lock.pointer, &spec)
                sleepingForever = false
                if status == ETIMEDOUT, heap.first == nil, !stopping {
                    thread?.detach()
                    thread = nil
                    break
                }
            }
        }
        lock.unlock()
    }
}
