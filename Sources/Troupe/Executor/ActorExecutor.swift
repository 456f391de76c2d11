import Glibc
import Synchronization

/// The threads an ``ActorSystem``'s actors run on.
///
/// Every actor incarnation is a task that prefers this executor, so its handler code runs
/// on these threads and never on Swift's cooperative pool. The point is the wake-up path:
/// on Swift's global executor, waking an idle actor goes through Dispatch and usually wakes
/// another thread with a futex, about 1 µs. Here a job enqueued *by a worker thread* goes
/// into that worker's "next" slot and runs on the same thread as soon as the current job
/// suspends, with no lock and no system call. That is what makes request/reply and
/// token-passing between actors cheap (measured on this machine: 2× the round trips of the
/// same code on the global executor).
///
/// # Scheduling
/// - Each worker has one "next" slot (last in, first out). A job that displaces an earlier
///   slot occupant pushes that one to the shared queue and wakes an idle worker.
/// - A worker runs at most ``slotRunLimit`` slot jobs in a row before it serves the shared
///   queue, so a pair of actors ping-ponging cannot starve everyone else.
/// - Jobs from other threads go to the shared FIFO queue; an idle worker is signalled.
/// - A worker out of work spins for a few microseconds before it sleeps (``SpinWait``),
///   and a push signals a sleeping worker only if none is spinning: under steady load the
///   workers hand work to each other without futex system calls (measured: a quarter of a
///   fan-in benchmark's time went to sleeping and waking workers before this). So a burst
///   pushed while one worker spins wakes nobody; the worker that takes a job from the
///   shared queue wakes a sleeping one if more jobs wait and none spins, so that a long
///   job does not hold up the rest while a core idles. (Waking a sleeper from the push for
///   each job beyond the spinners' cost fan-in 6%; this costs nothing measurable.)
///
/// # Lifetime
/// Threads start in `init` and stop in ``shutdown()``, which waits for them unless it is
/// called from one of them.
// Unchecked Sendable: `shared`, `idleWorkers` and `stopping` are accessed only under
// `lock`; each `Worker.slot` is accessed only by the worker's own thread.
package final class ActorExecutor: TaskExecutor, @unchecked Sendable {

    /// Consecutive slot jobs a worker may run before it looks at the shared queue.
    package static let slotRunLimit = 64

    private let lock = Lock()
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var shared = RingBuffer<UnownedJob>()
    /// Jobs in `shared`, readable without the lock by spinning workers.
    private let sharedCount = Atomic<Int>(0)
    /// Workers spinning for work; pushes do not signal while one is.
    private let spinningWorkers = Atomic<Int>(0)
    private var idleWorkers = 0
    private var stopping = false
    private var threads: [RuntimeThread] = []
    package let threadCount: Int

    /// Starts `threads` worker threads named `<name>-<n>`.
    package init(name: String, threads: Int) {
        precondition(threads > 0, "an executor needs at least one thread")
        threadCount = threads
        condition = .allocate(capacity: 1)
        pthread_cond_init(condition, nil)
        var started: [RuntimeThread] = []
        for index in 0..<threads {
            let worker = Worker(executor: self)
            started.append(RuntimeThread.start(name: "\(name)-\(index)") { worker.run() })
        }
        lock.withLock { self.threads = started }
    }

    deinit {
        pthread_cond_destroy(condition)
        condition.deallocate()
    }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        if let worker = Worker.current, worker.executor === self {
            if worker.yielding {
                // The running task is yielding: it goes behind everyone else, not into the
                // slot (where it would run again at once).
                worker.yielding = false
                pushShared(job)
                return
            }
            if let displaced = worker.slot {
                worker.slot = job
                pushShared(displaced)
            } else {
                worker.slot = job
            }
            return
        }
        pushShared(job)
    }

    /// Stops the workers once the shared queue is empty and waits for them, unless called
    /// from a worker (then they are detached). Jobs enqueued afterwards are never run.
    package func shutdown() {
        let threads: [RuntimeThread] = lock.withLock {
            stopping = true
            let threads = self.threads
            self.threads = []
            return threads
        }
        pthread_cond_broadcast(condition)
        for thread in threads {
            if thread.isCurrent { thread.detach() } else { thread.join() }
        }
    }

    /// Yields the current task's thread so that other work gets a turn. On a worker, the
    /// task goes to the back of the shared queue; `Task.yield()` alone would put it in the
    /// worker's slot and run it again at once.
    package static func yieldFairly() async {
        // The flag is consumed by that enqueue on this same thread; it is not reset after the
        // yield because the task may resume on another worker.
        Worker.current?.yielding = true
        await Task.yield()
    }

    /// True when called on one of this executor's worker threads.
    package var isCurrent: Bool {
        Worker.current?.executor === self
    }

    private func pushShared(_ job: UnownedJob) {
        let wake: Bool = lock.withLock {
            shared.append(job)
            sharedCount.add(1, ordering: .releasing)
            return idleWorkers > 0 && spinningWorkers.load(ordering: .acquiring) == 0
        }
        if wake { pthread_cond_signal(condition) }
    }

    /// Under `lock`.
    private func popShared() -> UnownedJob? {
        guard let job = shared.popFirst() else { return nil }
        sharedCount.subtract(1, ordering: .relaxed)
        return job
    }

    /// Spins briefly waiting for shared work (``SpinWait``); true if some appeared.
    private func spinForWork() -> Bool {
        spinningWorkers.add(1, ordering: .acquiringAndReleasing)
        defer { spinningWorkers.subtract(1, ordering: .acquiringAndReleasing) }
        return SpinWait.poll { sharedCount.load(ordering: .acquiring) > 0 }
    }

    /// A worker thread's loop: slot first (bounded), then the shared queue, then park.
    fileprivate func work(_ worker: Worker) {
        let me = asUnownedTaskExecutor()
        var slotRuns = 0
        while true {
            if slotRuns < Self.slotRunLimit, let job = worker.slot {
                worker.slot = nil
                slotRuns &+= 1
                job.runSynchronously(on: me)
                continue
            }
            slotRuns = 0
            lock.lock()
            if let job = popShared() {
                // More queued behind this one, a worker asleep and none spinning: wake it, so
                // a long job here does not hold up the rest while a core idles.
                let wake = !shared.isEmpty && idleWorkers > 0 && spinningWorkers.load(ordering: .acquiring) == 0
                lock.unlock()
                if wake { pthread_cond_signal(condition) }
                job.runSynchronously(on: me)
                continue
            }
            if worker.slot != nil {
                lock.unlock()
                continue
            }
            if stopping {
                lock.unlock()
                return
            }
            lock.unlock()
            if spinForWork() { continue }
            lock.lock()
            if sharedCount.load(ordering: .acquiring) == 0 && !stopping {
                idleWorkers += 1
                pthread_cond_wait(condition, lock.pointer)
                idleWorkers -= 1
            }
            lock.unlock()
        }
    }
}

/// Per-thread state of one executor worker.
// Unchecked Sendable: `slot` and `yielding` are read and written only on the worker's own thread
// (by `run` and by `enqueue` calls that found this worker as `current`).
// Strong on purpose: the executor must outlive its threads, and `shutdown()` ends them.
private final class Worker: @unchecked Sendable {
    let executor: ActorExecutor
    var slot: UnownedJob?
    /// Set by `yieldFairly` just before `Task.yield()`, whose re-enqueue is the next
    /// `enqueue` on this thread.
    var yielding = false

    init(executor: ActorExecutor) {
        self.executor = executor
    }

    func run() {
        pthread_setspecific(Worker.key, Unmanaged.passUnretained(self).toOpaque())
        executor.work(self)
        pthread_setspecific(Worker.key, nil)
    }

    /// The worker running on this thread, if any.
    static var current: Worker? {
        guard let raw = pthread_getspecific(key) else { return nil }
        return Unmanaged<Worker>.fromOpaque(raw).takeUnretainedValue()
    }

    /// One process-wide thread-local key. It holds no state of any system: each thread's
    /// value points at that thread's own worker.
    static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()
}

/// Yields the current task's thread to other work (see ``ActorExecutor/yieldFairly()``).
@usableFromInline
func yieldToOtherActors() async {
    await ActorExecutor.yieldFairly()
}
