/// What a behavior's handlers can do besides changing their own state: spawn and stop
/// children, watch other actors, set timers, run background work, stop.
///
/// # Concurrency contract
/// A context belongs to one incarnation of one actor and may only be used from that
/// actor's handlers (it is not `Sendable`, so the compiler keeps it there). Everything it
/// starts (children, timers, background tasks) belongs to the incarnation and is stopped or
/// cancelled when the incarnation ends, so nothing outlives its owner.
public final class ActorContext<Message: Sendable> {
    @usableFromInline let cell: ActorCell<Message>
    @usableFromInline let incarnation: Int

    /// Set by ``stop()``, ``shutdown(reason:)`` or a stop request; the loop ends after the
    /// message in progress. `@exclusivity(unchecked)`: only whoever holds the actor's turn
    /// touches the context (the incarnation's own task, or a sender running an immediate
    /// turn while the incarnation waits; the cell's lock orders the hand-overs).
    @usableFromInline @exclusivity(unchecked) var stopMode: StopMode?
    /// The reason the actor chose when it stopped itself (``ExitReason/normal`` or a
    /// shutdown); nil when it did not, or when a stop request from its parent came after
    /// (the parent's stop wins: the incarnation then ends ``ExitReason/stopped``).
    @usableFromInline @exclusivity(unchecked) var ownExitReason: ExitReason?

    private var timers: [String: TimerEntry] = [:]
    private var nextTimerGeneration = 0
    private var watching: [ObjectIdentifier: CellBase] = [:]
    /// Made on first use: most actors never start background work.
    private var backgroundStorage: BackgroundWork?
    private var background: BackgroundWork {
        if let existing = backgroundStorage { return existing }
        let made = BackgroundWork(system: cell.system, owner: cell.path)
        backgroundStorage = made
        return made
    }

    @usableFromInline
    init(cell: ActorCell<Message>, incarnation: Int) {
        self.cell = cell
        self.incarnation = incarnation
    }

    @usableFromInline
    var supervision: Supervision { cell.supervision }

    /// This actor's own reference.
    public var ref: ActorRef<Message> { ActorRef(cell: cell) }

    /// This actor's path in the tree.
    public var path: ActorPath { cell.path }

    /// The system this actor lives in.
    public var system: ActorSystem { cell.system }

    /// The system's clock (use it, not the wall clock, so tests can drive time).
    public var clock: any ActorClock { cell.system.clock }

    /// The clock's current instant.
    public var now: ClockInstant { cell.system.clock.now }

    /// How many times this actor has been restarted.
    public var restartCount: Int { cell.metricsSnapshot().restarts }

    // MARK: Children

    /// Spawns a child actor supervised by this one (one for one, default intensity). It
    /// starts asynchronously; messages sent to it before it runs wait in its mailbox. It is
    /// stopped when this incarnation ends.
    ///
    /// - Parameter restart: defaults to ``RestartType/permanent``, as everywhere a child is
    ///   made (``ActorSystem/spawn(_:mailbox:restart:shutdown:_:)``, ``ChildSpec``): the child
    ///   is restarted however it ended, even after stopping itself. Pass
    ///   ``RestartType/transient`` for a child that may finish its work and stop, or
    ///   ``RestartType/temporary`` for one that is never restarted.
    /// - Throws: ``ConfigurationError`` for a bad or duplicate name.
    @inlinable
    @discardableResult
    public func spawn<B: Behavior>(
        _ name: String,
        mailbox: MailboxConfiguration,
        restart: RestartType = .permanent,
        shutdown: ShutdownPolicy = .defaultForActors,
        _ factory: @escaping @Sendable () throws -> B
    ) throws(ConfigurationError) -> ActorRef<B.Message> {
        let system = cell.system
        let child = try supervision.spawn(named: name) { parent, path in
            BehaviorCell<B>(
                path: path, system: system, parent: parent, restart: restart, shutdown: shutdown,
                mailbox: mailbox, factory: factory
            )
        }
        return ActorRef(cell: child)
    }

    /// Spawns a supervisor child with its own children.
    ///
    /// - Parameter restart: defaults to ``RestartType/permanent``, as for an actor child.
    public func spawn(_ name: String, supervisor spec: SupervisorSpec, restart: RestartType = .permanent) throws(ConfigurationError) {
        _ = try supervision.spawn(ChildSpec.supervisor(name, spec, restart: restart))
    }

    /// Stops one of this actor's children for good (it is not restarted). Does not wait.
    public func stop<ChildMessage>(_ child: ActorRef<ChildMessage>) {
        supervision.requestStop(of: child.cell)
    }

    // MARK: Keyed actors

    /// Keeps this keyed actor alive while it holds live state (a session with open
    /// connections, say), or lets it go again.
    ///
    /// Only meaningful for an actor of a ``KeyedActors``; for any other actor it does
    /// nothing and returns false. While pinned, the actor is never passivated by the idle
    /// timeout and never chosen for eviction: when every actor is pinned and `maxLive`
    /// exist, a message for a new key waits for a slot (or gets ``SendOutcome/full``) until
    /// one unpins or stops. Unpinned, it is passivatable and evictable as usual, and its idle
    /// time counts from the unpin (or a later message), not from its last message before.
    ///
    /// The pin belongs to this incarnation: a restart or stop clears it.
    ///
    /// - Returns: whether the actor is pinned now. `keepAlive(true)` returns false when the
    ///   actor is not keyed, or is already being retired (passivated, evicted, or its
    ///   supervisor stopping): it then handles what is queued and stops regardless, and
    ///   its `stopping` hook is the place to release what it holds.
    @discardableResult
    public func keepAlive(_ on: Bool) -> Bool {
        // A keyed actor's parent is its keyed supervisor, whose external children are the
        // registry; `parent` is set once, when the cell is made.
        guard let supervisor = cell.parent as? BehaviorCell<SupervisorBehavior>,
              let registry = supervisor.external as? any KeyedPinning else { return false }
        return registry.keepAlive(on, for: cell)
    }

    // MARK: Death watch

    /// From now on, this actor receives ``Signal/terminated(_:_:)`` when `other` stops for
    /// good, at once if it already has. Watching is undone when this incarnation ends.
    public func watch<Other>(_ other: ActorRef<Other>) {
        let target = other.cell
        watching[ObjectIdentifier(target)] = target
        target.addWatcher(.cell(cell, incarnation: incarnation))
    }

    /// Stops watching `other`. A signal already queued may still arrive.
    public func unwatch<Other>(_ other: ActorRef<Other>) {
        let target = other.cell
        watching.removeValue(forKey: ObjectIdentifier(target))
        target.removeWatcher(ObjectIdentifier(cell))
    }

    // MARK: Lifecycle

    /// Stops this actor after the current message, with reason ``ExitReason/normal``.
    /// Its supervisor restarts it only if its restart type is ``RestartType/permanent``.
    public func stop() {
        stopItself(.normal)
    }

    /// Stops this actor after the current message with a shutdown reason,
    /// ``ExitReason/shutdown(reason:)``: OTP's `shutdown` (`reason` nil) or
    /// `{shutdown, Term}`. Not a failure: its supervisor restarts it only if its restart
    /// type is ``RestartType/permanent``, and a transient actor stays down, as after
    /// ``stop()``. Watchers see the reason in ``Signal/terminated(_:_:)``.
    ///
    /// Use it when the actor ends because something it depends on ended in an orderly way
    /// (its connection closed, its job was cancelled), to tell that apart from both a
    /// failure and the normal end of its work. Called again before the incarnation ends,
    /// the last reason wins; a stop requested by its parent meanwhile takes precedence
    /// (the incarnation then ends ``ExitReason/stopped``).
    public func shutdown(reason: String? = nil) {
        stopItself(.shutdown(reason: reason))
    }

    private func stopItself(_ reason: ExitReason) {
        ownExitReason = reason
        if stopMode == nil { stopMode = .terminate }
    }

    // MARK: Timers

    private struct TimerEntry {
        let generation: Int
        let timer: ClockTimer
        let interval: Duration?
        let message: Message
    }

    /// Delivers `message` to this actor once, after `delay` on the system clock. A timer with
    /// the same key is replaced. A cancelled or replaced timer's message is never delivered,
    /// even if it was already due. Timer messages use the system lane, so a full mailbox
    /// does not drop them.
    public func startTimer(_ key: String, after delay: Duration, message: Message) {
        arm(key, deadline: now.advanced(by: delay), interval: nil, message: message)
    }

    /// Delivers `message` every `interval` (first after one interval) until cancelled.
    /// Ticks are scheduled from the previous due time, so they do not drift. An interval
    /// that is not positive is ``ConfigurationError/invalidDuration(setting:value:)`` (and
    /// no timer is started).
    public func startPeriodicTimer(_ key: String, every interval: Duration, message: Message) throws(ConfigurationError) {
        guard interval > .zero else { throw .invalidDuration(setting: "periodic timer interval", value: interval) }
        arm(key, deadline: now.advanced(by: interval), interval: interval, message: message)
    }

    /// Cancels the timer `key`, if any.
    public func cancelTimer(_ key: String) {
        if let entry = timers.removeValue(forKey: key) {
            cell.system.clock.cancel(entry.timer)
        }
    }

    /// True while the timer `key` is active.
    public func isTimerActive(_ key: String) -> Bool {
        timers[key] != nil
    }

    private func arm(_ key: String, deadline: ClockInstant, interval: Duration?, message: Message) {
        cancelTimer(key)
        nextTimerGeneration += 1
        let generation = nextTimerGeneration
        let incarnation = self.incarnation
        let timer = ActionTimer(deadline: deadline) { [weak cell] in
            cell?.enqueueSystem(.timerFired(key: key, generation: generation, incarnation: incarnation))
        }
        timers[key] = TimerEntry(generation: generation, timer: timer, interval: interval, message: message)
        cell.system.clock.schedule(timer)
    }

    /// A timer fired: returns its message if it is still current, re-arming periodic ones.
    @usableFromInline
    func timerFired(key: String, generation: Int) -> Message? {
        guard let entry = timers[key], entry.generation == generation else { return nil }
        if let interval = entry.interval {
            arm(key, deadline: entry.timer.deadline.advanced(by: interval), interval: interval, message: entry.message)
        } else {
            timers.removeValue(forKey: key)
        }
        return entry.message
    }

    // MARK: Background work

    /// Runs `operation` in a task owned by this actor: cancelled when the incarnation ends
    /// (the actor then waits for it, up to its shutdown timeout). Use it for work that must
    /// not hold up the mailbox; report back with ``pipeToSelf(_:map:)`` or a message.
    public func run(_ operation: @escaping @Sendable () async -> Void) {
        background.start(operation)
    }

    /// Runs `operation` in an owned background task and delivers `map(result)` to this
    /// actor when it finishes (through the system lane, so it is not lost to overflow).
    public func pipeToSelf<Value: Sendable>(
        _ operation: @escaping @Sendable () async throws -> Value,
        map: @escaping @Sendable (Result<Value, any Error>) -> Message
    ) {
        let target = cell
        let incarnation = self.incarnation
        background.start {
            let result: Result<Value, any Error>
            do { result = .success(try await operation()) } catch { result = .failure(error) }
            target.enqueueSystem(.deliver(map(result), incarnation: incarnation))
        }
    }

    // MARK: Incarnation end

    /// Undoes everything this incarnation set up, except children (stopped first, by the
    /// loop): timers, watches, background tasks.
    @usableFromInline
    nonisolated(nonsending) func releaseResources() async {
        for entry in timers.values { cell.system.clock.cancel(entry.timer) }
        timers.removeAll()
        for target in watching.values { target.removeWatcher(ObjectIdentifier(cell)) }
        watching.removeAll()
        await backgroundStorage?.cancelAndWait(timeout: cell.shutdown.timeout)
    }
}
