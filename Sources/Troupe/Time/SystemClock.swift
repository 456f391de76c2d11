import Glibc

/// The real clock: monotonic time, with timers fired by one thread the clock owns.
///
/// Each `SystemClock` has its own timer thread, started on the first `schedule` and stopped
/// when the clock is deinitialised (timers still pending then never fire). Nothing is
/// shared between clocks, so independent systems in one process do not interfere.
///
/// # Thread safety
/// All methods may be called from any thread. Timers fire on the clock's thread, in
/// deadline order; a firing timer must not block.
// Unchecked Sendable: `origin` is immutable; everything mutable is inside `core`,
// which guards it with its own lock.
public final class SystemClock: ActorClock, @unchecked Sendable {
    private let origin: Int64
    private let core: TimerThreadCore

    /// A clock whose origin is now.
    public init() {
        origin = monotonicNanoseconds()
        core = TimerThreadCore(origin: origin)
    }

    deinit {
        core.stop()
    }

    public var now: ClockInstant {
        ClockInstant(offset: .nanoseconds(monotonicNanoseconds() - origin))
    }

    public func schedule(_ timer: ClockTimer) {
        core.schedule(timer)
    }

    @discardableResult
    public func cancel(_ timer: ClockTimer) -> Bool {
        core.cancel(timer)
    }

    /// Number of timers waiting to fire (for introspection).
    public var pendingTimerCount: Int {
        core.pendingCount
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
    private var heap = TimerHeap()
    private var thread: RuntimeThread?
    private var stopping = false
    /// Absolute monotonic nanoseconds the thread sleeps until; `nil` while it is awake or
    /// sleeping with no deadline (then any new timer must signal it).
    private var sleepingUntil: Int64?
    private var sleepingForever = false

    init(origin: Int64) {
        self.origin = origin
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
                sleepingForever = true
                pthread_cond_wait(condition, lock.pointer)
                sleepingForever = false
            }
        }
        lock.unlock()
    }
}
