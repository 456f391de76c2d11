/// The background tasks one incarnation started with ``ActorContext/run(_:)``.
///
/// Each task is counted in the system's live tasks from start to end. When the incarnation
/// ends, all are cancelled and awaited (up to the actor's shutdown timeout); tasks started
/// after that are not run at all, so no work outlives its owner. A task still running when
/// the timeout passes ignored its cancellation: it is abandoned (counted in
/// ``ActorSystem/abandonedTaskCount`` until it ends, and logged), as an incarnation is.
// Unchecked Sendable: `tasks`, `abandoned`, `closed`, `nextID` and `whenEmpty` are guarded
// by `lock`.
final class BackgroundWork: @unchecked Sendable {
    private let system: ActorSystem
    private let owner: ActorPath
    private let lock = Lock()
    private var tasks: [Int: Task<Void, Never>] = [:]
    /// Tasks nobody waits for any more (still in `tasks` until they end).
    private var abandoned = Set<Int>()
    private var nextID = 0
    private var closed = false
    private var whenEmpty: Completion<Void>?

    init(system: ActorSystem, owner: ActorPath) {
        self.system = system
        self.owner = owner
    }

    func start(_ operation: @escaping @Sendable () async -> Void) {
        lock.withLock {
            guard !closed else { return }
            nextID += 1
            let id = nextID
            system.taskStarted()
            // Created under the lock so that `finished` (which takes it) cannot run before
            // the task is registered.
            tasks[id] = Task(executorPreference: system.executor) { [self] in
                await operation()
                finished(id)
            }
        }
    }

    private func finished(_ id: Int) {
        let (emptied, wasAbandoned): (Completion<Void>?, Bool) = lock.withLock {
            tasks.removeValue(forKey: id)
            let wasAbandoned = abandoned.remove(id) != nil
            guard tasks.isEmpty, let waiter = whenEmpty else { return (nil, wasAbandoned) }
            whenEmpty = nil
            return (waiter, wasAbandoned)
        }
        if wasAbandoned { system.abandonedTaskEnded() } else { system.taskEnded() }
        emptied?.succeed(())
    }

    /// Refuses new work, cancels running work and waits for it to finish, up to `timeout`
    /// (nil: as long as it takes); what still runs then is abandoned.
    func cancelAndWait(timeout: Duration?) async {
        let (running, waiter): ([Task<Void, Never>], Completion<Void>?) = lock.withLock {
            closed = true
            guard !tasks.isEmpty else { return ([], nil) }
            let waiter = Completion<Void>()
            whenEmpty = waiter
            return (Array(tasks.values), waiter)
        }
        guard let waiter else { return }
        for task in running { task.cancel() }
        guard let timeout else {
            _ = await waiter.wait()
            return
        }
        if await waiter.wait(until: system.clock.now.advanced(by: timeout), clock: system.clock) != nil { return }
        let count: Int = lock.withLock {
            let running = Set(tasks.keys).subtracting(abandoned)
            abandoned.formUnion(running)
            system.tasksAbandoned(running.count)
            return running.count
        }
        guard count > 0 else { return }
        system.abandonmentsNoted()
        system.log(.warning, "\(owner): \(count) background task(s) ignored cancellation for \(timeout): abandoned (they run on; nobody waits for them)")
    }
}
