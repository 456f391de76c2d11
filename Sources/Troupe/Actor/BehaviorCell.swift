/// A cell that runs a behavior of type `B`: starts incarnations and runs their loop.
///
/// # The incarnation loop
/// 1. Make fresh state with the factory, run `started`, start static children in order.
/// 2. Repeat: take system messages (all of them, first) and user messages (a batch at a
///    time); handle each user message to completion before the next. After each message a
///    relaxed atomic says whether system messages arrived; if so they are handled before
///    the rest of the batch. After a full batch the task yields its thread.
/// 3. On stop or failure: stop children (last started first), cancel timers, watches and
///    background work, run `stopping`, then report the exit to the parent.
/// The parent decides what comes next; a restart is a new incarnation on a new task.
///
/// # Specialization
/// The loop is generic over `B`. The incarnation body is a closure made in the inlinable
/// initializer, so it is compiled in the module where `B` is concrete and runs specialized:
/// message moves and array operations cost no runtime generic lookups.
@usableFromInline
// Unchecked Sendable: adds only immutable state and `supervision`, which is used only
// by the cell's current incarnation task (see ``Supervision``).
final class BehaviorCell<B: Behavior>: ActorCell<B.Message>, @unchecked Sendable {
    @usableFromInline typealias Body = @Sendable (BehaviorCell<B>, IncarnationLaunch) async -> Void

    @usableFromInline let factory: @Sendable () throws -> B
    @usableFromInline let policy: SupervisionPolicy
    @usableFromInline let staticChildren: [ChildSpec]
    @usableFromInline let external: (any ExternalChildren)?
    @usableFromInline let body: Body

    /// The running incarnation's state. Owned by whoever holds the actor's turn: the
    /// incarnation's task, or a sender running an immediate turn while the incarnation waits
    /// (see ``ImmediateTurns``); the cell's lock orders the hand-overs. Nil between
    /// incarnations. `@exclusivity(unchecked)`: the turn already makes access exclusive.
    @usableFromInline @exclusivity(unchecked) var behavior: B?
    /// The running incarnation's context, for immediate turns; owned like `behavior`.
    @usableFromInline @exclusivity(unchecked) var turnContext: ActorContext<B.Message>?
    /// What an immediate turn's handler threw; the loop ends the incarnation with it when
    /// the turn wakes it. Owned like `behavior`.
    @usableFromInline @exclusivity(unchecked) var turnFailure: (any Error)?
    /// What a dormant incarnation's loop keeps until a new task goes on with it (see
    /// ``ParkedConsumer/dormant``). Owned like `behavior`.
    @usableFromInline @exclusivity(unchecked) var dormantLoop: LoopState?

    /// Handling latency is sampled on one batch in this many.
    @usableFromInline static var latencySampleInterval: Int { 8 }

    @inlinable
    init(
        path: ActorPath,
        system: ActorSystem,
        parent: CellBase?,
        restart: RestartType,
        shutdown: ShutdownPolicy,
        mailbox: MailboxConfiguration,
        policy: SupervisionPolicy = .forSpawnedChildren,
        staticChildren: [ChildSpec] = [],
        external: (any ExternalChildren)? = nil,
        factory: @escaping @Sendable () throws -> B
    ) {
        self.factory = factory
        self.policy = policy
        self.staticChildren = staticChildren
        self.external = external
        self.body = { cell, launch in
            switch launch {
            case .start(let number, let started): await cell.runIncarnation(number, started: started)
            case .resume: await cell.resumeIncarnation()
            }
        }
        super.init(
            path: path, system: system, parent: parent, restart: restart, shutdown: shutdown, mailbox: mailbox,
            immediateTurn: { cell, message in
                // Only a BehaviorCell<B> installs this closure, on itself.
                unsafeDowncast(cell, to: BehaviorCell<B>.self).runTurn(message)
            }
        )
    }

    @usableFromInline
    override func makeSupervision() -> Supervision {
        Supervision(owner: self, policy: policy, staticChildren: staticChildren, external: external, seed: system.nextSeed())
    }

    @usableFromInline
    override var hasDeclaredChildren: Bool { !staticChildren.isEmpty || external != nil }

    override var isSupervisor: Bool { B.self == SupervisorBehavior.self }

    override func launchIncarnation(started: Completion<Void>?) -> Int {
        lock.lock()
        defer { lock.unlock() }
        assert(lifecycle.canLaunch, "\(path): launched while abandoned, terminated or still running (\(lifecycle))")
        let number = lifecycle.launch()
        incarnationEnded = nil
        immediateTurnsPaused = false
        system.incarnationStarted()
        incarnationCancelled = false
        startTaskLocked(.start(number, started))
        return number
    }

    override func resumeDormantIncarnation() {
        lock.lock()
        defer { lock.unlock() }
        startTaskLocked(.resume)
    }

    /// Under `lock` (so `task` is recorded before anyone can cancel it): starts the
    /// incarnation's task. Detached, but not unowned work: the cell records it in `task`,
    /// cancels it with the incarnation (``CellBase/cancelSubtree()``), and the system counts
    /// the incarnation until it ends; its parent waits for that end. Detached so that nothing
    /// of whoever started or woke the actor (a sender's task-locals, its priority, its
    /// cancellation) carries over into the handlers; a task going on with a cancelled
    /// incarnation is cancelled here instead.
    private func startTaskLocked(_ launch: IncarnationLaunch) {
        let body = self.body
        let started = Task.detached(executorPreference: system.executor) { [self] in
            let scope = IncarnationScope(cell: self)
            await IncarnationScope.$current.withValue(scope) {
                await body(self, launch)
            }
            // Tasks that inherited the scope (background work, `Task {}` in a handler) may
            // outlive this one, and a later task may reuse its address.
            scope.taskEnded()
        }
        if incarnationCancelled { started.cancel() }
        task = started
    }

    @inlinable
    nonisolated(nonsending) func runIncarnation(_ number: Int, started: Completion<Void>?) async {
        let context = ActorContext<B.Message>(cell: self, incarnation: number)
        var reason: ExitReason
        do {
            var fresh = try factory()
            try await fresh.started(context: context)
            if hasDeclaredChildren { try await supervision.startStaticChildren() }
            behavior = fresh
            reason = .normal
        } catch {
            reason = .startFailed(error)
        }
        if behavior != nil {
            markRunning()
            system.lifecycle.emit(LifecycleEvent(path: path, kind: .started, incarnation: number, reason: nil))
            started?.succeed(())
            turnContext = context
            let state = LoopState(batch: leftovers)
            leftovers = []
            // Nil: the incarnation went dormant, and a later task goes on with it.
            guard let exit = await runLoop(context, state) else { return }
            reason = exit
        }
        await end(context, reason: reason)
        if case .startFailed(let error) = reason { started?.fail(error) }
    }

    /// A dormant incarnation's new task: goes on with the loop where the last task left it.
    @inlinable
    nonisolated(nonsending) func resumeIncarnation() async {
        let context = turnContext.unsafelyUnwrapped
        var state = dormantLoop.take().unsafelyUnwrapped
        state.lastWaitNanos = coarseMonotonicNanoseconds() - state.waitingSince
        guard let exit = await runLoop(context, state) else { return }
        await end(context, reason: exit)
    }

    /// Runs the message loop, parking between messages, until the incarnation ends (its
    /// exit reason) or goes dormant (nil: this task ends and a new one goes on when a
    /// message arrives). See ``ActorSystem/Configuration/idleTaskRelease``.
    @inlinable
    nonisolated(nonsending) func runLoop(_ context: ActorContext<B.Message>, _ initial: LoopState) async -> ExitReason? {
        var state = initial
        while true {
            if let exit = await loop(context, &state) {
                turnContext = nil
                return exit
            }
            let threshold = system.idleTaskReleaseNanos
            guard threshold != .max else {
                await parkUntilWork()
                continue
            }
            let parkedAt = coarseMonotonicNanoseconds()
            state.waits &+= 1
            if state.waits <= LoopState.firstWaitsReleasingTheTask || state.lastWaitNanos >= threshold {
                state.waitingSince = parkedAt
                // Stored before the turn is released: the next task may start at once.
                dormantLoop = state
                if releaseTaskUnlessWork() { return nil }
                state = dormantLoop.take().unsafelyUnwrapped
            }
            await parkUntilWork()
            state.lastWaitNanos = coarseMonotonicNanoseconds() - parkedAt
        }
    }

    /// Ends the incarnation: stops its children, releases its timers, watches and
    /// background work, runs `stopping`, and reports the exit.
    @inlinable
    nonisolated(nonsending) func end(_ context: ActorContext<B.Message>, reason exit: ExitReason) async {
        var reason = exit
        // A failure while the task is cancelled is the cancellation (after a shutdown timeout)
        // surfacing as CancellationError from whatever the handler awaited.
        if Task.isCancelled && reason.isFailure { reason = .cancelled }
        await supervisionStorage?.stopAll()
        await context.releaseResources()
        if var stopping = behavior.take() {
            await stopping.stopping(context: context)
        }
        finish(context.incarnation, reason: reason)
    }

    /// What the message loop keeps while it waits: the batch buffers (empty then, kept for
    /// their capacity), an injected fault's countdown, the batch count that picks latency
    /// samples, and how many waits for a message there were and how long the last one
    /// lasted, which decide whether the next wait keeps the task.
    @usableFromInline
    struct LoopState {
        @usableFromInline var batch: [B.Message]
        @usableFromInline var systemBatch: [SystemMessage] = []
        @usableFromInline var faultCountdown = 0
        @usableFromInline var batches = 0
        @usableFromInline var lastWaitNanos: Int64 = 0
        @usableFromInline var waits = 0
        /// An incarnation's first waits release its task whatever their length: an actor
        /// started for one message (a keyed actor for a request: one wait before it arrives,
        /// one after) holds no task while it idles afterwards. A busy actor pays for two
        /// new tasks, once.
        @inlinable static var firstWaitsReleasingTheTask: Int { 2 }
        /// When a dormant wait began (coarse monotonic nanoseconds).
        @usableFromInline var waitingSince: Int64 = 0

        @inlinable
        init(batch: [B.Message]) { self.batch = batch }
    }

    /// The message loop of one incarnation: handles messages until there are none, then
    /// returns nil (the caller parks its task and calls it again), or returns why the
    /// incarnation ended. It returns to park, rather than parking inside, so that a parked
    /// actor's task holds no loop frame: that is most of an idle actor's memory.
    @inlinable
    nonisolated(nonsending) func loop(_ context: ActorContext<B.Message>, _ state: inout LoopState) async -> ExitReason? {
        var batch = state.batch
        state.batch = []
        var index = 0
        var systemBatch = state.systemBatch
        state.systemBatch = []
        var report = BatchReport()
        var faultCountdown = state.faultCountdown
        var batches = state.batches

        while true {
            // User messages of the current batch.
            if index < batch.count {
                let first = index
                batches &+= 1
                // Every eighth batch, starting with the eighth: an actor that handled a
                // few messages and went idle carries no histogram.
                let sampled = batches % Self.latencySampleInterval == 0
                let startedAt = sampled ? monotonicNanoseconds() : 0
                while index < batch.count {
                    if let mode = context.stopMode, mode != .drain { break }
                    let message = batch[index]
                    index += 1
                    if faultCountdown > 0 {
                        faultCountdown -= 1
                        if faultCountdown == 0 {
                            // As if its handler threw: the message counts as processed.
                            report.handled += 1
                            noteMessageFinished()
                            keepLeftovers(batch, from: index)
                            publishReport(report)
                            return .failed(InjectedFault(path: path))
                        }
                    }
                    do {
                        try await handleMessage(message, context)
                    } catch {
                        report.handled += 1
                        noteMessageFinished()
                        keepLeftovers(batch, from: index)
                        publishReport(report)
                        return .failed(error)
                    }
                    report.handled += 1
                    noteMessageFinished()
                    if sampled && index - 1 == first {
                        report.sampledLatencyNanos = monotonicNanoseconds() - startedAt
                    }
                    if hasPendingSystemMessages { break }
                }
                if index >= batch.count {
                    let wasFull = batch.count >= batchSize
                    batch.removeAll(keepingCapacity: true)
                    index = 0
                    if wasFull { await yieldToOtherActors() }
                }
            }

            // Stop requested (by the parent, or by the behavior itself).
            if let mode = context.stopMode {
                switch mode {
                case .terminate, .forRestart:
                    keepLeftovers(batch, from: index)
                    publishReport(report)
                    return context.ownExitReason ?? .stopped
                case .drain:
                    if index >= batch.count && isUserLaneEmpty {
                        publishReport(report)
                        return .stopped
                    }
                }
            }

            // More work: only system messages while a batch is unfinished.
            if index < batch.count {
                takeSystemMessages(into: &systemBatch)
            } else {
                guard takeWork(batch: &batch, system: &systemBatch, report: &report) else {
                    state.batch = batch
                    state.systemBatch = systemBatch
                    state.faultCountdown = faultCountdown
                    state.batches = batches
                    return nil
                }
                if let failure = turnFailure.take() {
                    publishReport(report)
                    return .failed(failure)
                }
            }

            for position in systemBatch.indices {
                if let exit = await handle(systemBatch[position], context, &faultCountdown) {
                    requeueCommands(systemBatch[(position + 1)...])
                    systemBatch.removeAll()
                    keepLeftovers(batch, from: index)
                    publishReport(report)
                    return exit
                }
            }
            systemBatch.removeAll(keepingCapacity: true)
        }
    }

    /// Handles one system message; returns an exit reason if the incarnation must end.
    /// Not inlined into the loop: its locals would then stay in every parked actor's frame.
    @inlinable @inline(never)
    nonisolated(nonsending) func handle(
        _ message: SystemMessage,
        _ context: ActorContext<B.Message>,
        _ faultCountdown: inout Int
    ) async -> ExitReason? {
        switch message {
        case .stop(let mode):
            if context.stopMode == nil || mode == .terminate {
                context.stopMode = mode
                context.ownExitReason = nil
            }
            if mode == .drain { closeForNewMessages() }
            markEnding(forRestart: mode == .forRestart)
            return nil
        case .childExited(let child, let number, let reason):
            return await supervisionStorage?.childExited(child, incarnation: number, reason: reason)
        case .restartDue(let token):
            return await supervisionStorage?.restartDue(token: token)
        case .shutdownTimedOut(let child, let number, let afterCancel):
            supervisionStorage?.shutdownTimedOut(child, incarnation: number, afterCancel: afterCancel)
            return nil
        case .watched(let watchedPath, let reason, let incarnation):
            guard incarnation == context.incarnation else { return nil }
            do {
                try await behavior!.receiveSignal(.terminated(watchedPath, reason), context: context)
                return nil
            } catch {
                return .failed(error)
            }
        case .injectFault(let nth):
            // A supervisor takes no messages: it fails at once.
            if B.Message.self == Never.self { return .failed(InjectedFault(path: path)) }
            faultCountdown = max(1, nth)
            // The countdown lives here: every message must come through the loop to count.
            lock.withLock { immediateTurnsPaused = true }
            return nil
        case .timerFired(let key, let generation, let incarnation):
            guard incarnation == context.incarnation,
                  let timerMessage = context.timerFired(key: key, generation: generation) else { return nil }
            return await deliver(timerMessage, context, &faultCountdown)
        case .deliver(let value, let incarnation):
            guard incarnation == nil || incarnation == context.incarnation,
                  let delivered = value as? B.Message else { return nil }
            return await deliver(delivered, context, &faultCountdown)
        case .command(let command):
            await supervision.run(command, owner: self)
            return nil
        }
    }

    /// Hands a message that came through the system lane to the behavior.
    @inlinable @inline(never)
    nonisolated(nonsending) func deliver(
        _ message: B.Message,
        _ context: ActorContext<B.Message>,
        _ faultCountdown: inout Int
    ) async -> ExitReason? {
        if faultCountdown > 0 {
            faultCountdown -= 1
            if faultCountdown == 0 { return .failed(InjectedFault(path: path)) }
        }
        var report = BatchReport()
        report.handled = 1
        defer { publishReport(report) }
        do {
            try await handleMessage(message, context)
            return nil
        } catch {
            return .failed(error)
        }
    }

    /// Offers `message` to the behavior's immediate handler, then to `receive` if declined.
    @inlinable
    nonisolated(nonsending) func handleMessage(_ message: B.Message, _ context: ActorContext<B.Message>) async throws {
        if immediateTurnsDeclined {
            try await behavior!.receive(message, context: context)
        } else if try !behavior!.receiveImmediately(message, context: context) {
            try await behavior!.receive(message, context: context)
        }
    }

    /// Runs one message in an immediate turn (the caller holds the actor's turn, so the
    /// incarnation waits, parked in `parkUntilWork` or dormant, and `behavior` and
    /// `turnContext` are set).
    @inlinable
    func runTurn(_ message: B.Message) -> ImmediateTurnOutcome {
        let context = turnContext.unsafelyUnwrapped
        do {
            guard try behavior!.receiveImmediately(message, context: context) else { return .declined }
        } catch {
            turnFailure = error
            return .needsLoop
        }
        return context.stopMode == nil ? .handled : .needsLoop
    }

    @inlinable
    func keepLeftovers(_ batch: [B.Message], from index: Int) {
        if index < batch.count { leftovers = Array(batch[index...]) }
    }
}

extension BehaviorCell where B == SupervisorBehavior {
    /// The cell of a supervisor described by `supervisorSpec`.
    static func supervisor(
        path: ActorPath,
        system: ActorSystem,
        parent: CellBase?,
        spec: ChildSpec,
        supervisorSpec: SupervisorSpec
    ) -> BehaviorCell<SupervisorBehavior> {
        BehaviorCell<SupervisorBehavior>(
            path: path,
            system: system,
            parent: parent,
            restart: spec.restart,
            shutdown: spec.shutdown,
            // A supervisor takes no user messages; its system lane is unbounded by design.
            mailbox: MailboxConfiguration.supervisor,
            policy: supervisorSpec.policy,
            staticChildren: supervisorSpec.children,
            factory: { SupervisorBehavior() }
        )
    }
}

extension CellBase {
    /// The incarnation started: state becomes running (unless it was terminated meanwhile).
    @usableFromInline
    func markRunning() {
        lock.withLock { lifecycle.started() }
    }

    /// A stop was taken: the state shows it while the incarnation finishes its message and
    /// stops its children.
    @usableFromInline
    func markEnding(forRestart: Bool) {
        lock.withLock { lifecycle.stopTaken(forRestart: forRestart) }
    }

    /// Ends the incarnation: records its end and tells the parent (or the system, for the root).
    /// An abandoned incarnation's end was reported when it was abandoned: its task only
    /// dead-letters what it had taken from the mailbox and stops being counted.
    @usableFromInline
    func finish(_ number: Int, reason: ExitReason) {
        let (ended, outcome): (Completion<ExitReason>?, CellLifecycle.Finish) = lock.withLock {
            let outcome = lifecycle.incarnationFinished(number, reason: reason)
            if !lifecycle.hasRunningTask { task = nil }
            return (outcome == .report ? incarnationEnded : nil, outcome)
        }
        if outcome == .abandonedTaskEnded {
            discardIncarnationLeftovers()
            system.log(.info, "\(path): abandoned incarnation #\(number) ended at last (\(reason))")
            system.abandonedTaskEnded()
            return
        }
        system.lifecycle.emit(LifecycleEvent(path: path, kind: .ended, incarnation: number, reason: reason))
        system.incarnationEnded()
        ended?.succeed(reason)
        if let parent {
            parent.enqueueSystem(.childExited(self, incarnation: number, reason))
        } else {
            system.rootEnded(reason)
        }
    }
}

/// How an incarnation's task begins: a new incarnation, or a dormant one going on.
@usableFromInline
enum IncarnationLaunch: Sendable {
    case start(Int, Completion<Void>?)
    case resume
}
