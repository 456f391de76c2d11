/// The background tasks one incarnation started with ``ActorContext/run(_:)``.
///
/// Each task is counted in the system's live tasks from start to end. When the incarnation
/// ends, all are cancelled and awaited (up to the actor's shutdown timeout); tasks started
/// after that are not run at all, so no work outlives its owner.
// Unchecked Sendable: `tasks`, `closed`, `nextID` and `whenEmpty` are guarded by `lock`.
final class BackgroundWork: @unchecked Sendable {
    private let system: ActorSystem
    private let lock = Lock()
    private var tasks: [Int: Task<Void, Never>] = [:]
    private var nextID = 0
    private var closed = false
    private var whenEmpty: Completion<Void>?

    init(system: ActorSystem) {
        self.system = system
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
        let emptied: Completion<Void>? = lock.withLock {
            tasks.removeValue(forKey: id)
            guard tasks.isEmpty, let waiter = whenEmpty else { return nil }
            whenEmpty = nil
            return waiter
        }
        system.taskEnded()
        emptied?.succeed(())
    }

    /// Refuses new work, cancels running work and waits for it to finish, up to `timeout`
    /// (nil: as long as it takes).
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
        if let timeout {
            _ = await waiter.wait(until: system.clock.now.advanced(by: timeout), clock: system.clock)
        } else {
            _ = await waiter.wait()
        }
    }
}
