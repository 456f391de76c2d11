/// A set of actors, one per key (per user, per room, per connection), created on first use
/// and bounded in number.
///
/// ```swift
/// let sessions = try KeyedActors<String, SessionMessage>(
///     options: .init(maxLive: 10_000, idleTimeout: .seconds(300), mailbox: .init(capacity: 64))
/// ) { user in Session(user: user) }
/// try await system.start(sessions.childSpec("sessions"))
/// await sessions.send(.hello, to: "alice")   // spawns alice's actor if needed
/// ```
///
/// The actors live under a keyed supervisor (the spec's node in the tree) at
/// `<supervisor path>/<key>`. A message to a key whose actor was passivated or evicted
/// re-creates it transparently; messages are never lost to that: an actor being stopped
/// first handles what it has queued, and its successor starts only after it ended.
///
/// # Concurrency contract
/// `Sendable`; all methods may be called from any task. Sends to one key from one task
/// arrive in order.
public final class KeyedActors<Key: Hashable & Sendable, Message: Sendable>: Sendable {
    @usableFromInline let registry: KeyedRegistry<Key, Message>

    /// - Parameter factory: makes the state of the actor for a key (each incarnation).
    @inlinable
    public init<B: Behavior>(
        options: KeyedOptions,
        _ factory: @escaping @Sendable (Key) throws -> B
    ) where B.Message == Message {
        let mailbox = options.mailbox
        let restart = options.restart
        let shutdown = options.shutdown
        registry = KeyedRegistry(options: options) { system, parent, path, key in
            BehaviorCell<B>(
                path: path, system: system, parent: parent, restart: restart, shutdown: shutdown,
                mailbox: mailbox, factory: { try factory(key) }
            )
        }
    }

    /// The spec that places these actors' supervisor in a tree under the name `name`.
    /// A set of keyed actors has one place in one tree at a time: starting a second spec
    /// while the first place has not terminated fails that start with
    /// ``ConfigurationError/alreadyPlaced(_:)``; once it has terminated, a new place takes over.
    public func childSpec(_ name: String, restart: RestartType = .permanent) throws(ConfigurationError) -> ChildSpec {
        let registry = self.registry
        return try ChildSpec(name: name, restart: restart, shutdown: .unbounded, kind: .actor { system, parent, path, spec in
            // Placed a second time while the first place lives: this supervisor gets no
            // registry and fails its start, so the spec's start throws instead of trapping.
            let heldBy = registry.path
            return registry.place { free in
                BehaviorCell<SupervisorBehavior>(
                    path: path, system: system, parent: parent, restart: spec.restart, shutdown: spec.shutdown,
                    mailbox: .supervisor,
                    policy: SupervisionPolicy(strategy: .oneForOne, intensity: registry.options.intensity, backoff: nil),
                    staticChildren: [], external: free ? registry : nil,
                    factory: { () throws(ConfigurationError) in
                        guard free else { throw .alreadyPlaced(heldBy.map(String.init(describing:)) ?? "another place") }
                        return SupervisorBehavior()
                    }
                )
            }
        })
    }

    /// Sends `message` to the actor for `key`, creating it if needed; waits for room if its
    /// mailbox policy is `suspend` (for a slot, if every slot is taken, then for room in the
    /// mailbox), each wait up to the policy's timeout.
    @discardableResult
    public nonisolated(nonsending) func send(_ message: Message, to key: Key) async -> SendOutcome {
        await deliver(message, to: key, within: nil)
    }

    /// ``send(_:to:)`` whose waits together end by `limit` from now (an ask's deadline).
    /// `request`: the request of an ask, with the asking handler's cell if any (its edge in
    /// the ``WaitForGraph`` is settled by the send, or left if the key's actor changed).
    nonisolated(nonsending) func deliver(
        _ message: Message,
        to key: Key,
        within limit: Duration?,
        request: (isRequest: Bool, waiter: CellBase?) = (false, nil)
    ) async -> SendOutcome {
        // Only a limited send reads the clock (the plain send's path takes no extra lock).
        let clock = limit == nil ? nil : registry.system?.clock
        let deadline = limit.flatMap { limit in clock?.now.advanced(by: limit) }
        var pending = message
        var reserved = false
        while true {
            let remaining = deadline.flatMap { deadline in clock.map { Self.waitLimit(until: deadline, now: $0.now) } }
            switch registry.lookup(key, reserved: reserved) {
            case .stopped:
                return undelivered(pending, key: key, .stopped)
            case .cell(let cell):
                if request.isRequest { request.waiter?.leaveWaitUnlessOn(cell) }
                let (outcome, bounced) = await cell.sendUnlessClosed(
                    pending, waitLimit: remaining, settling: request.isRequest ? request.waiter : nil
                )
                guard let bounced else { return outcome }
                // Retired between lookup and send: the next lookup finds its successor.
                pending = bounced
                reserved = false
            case .full:
                guard case .suspend(let timeout) = registry.options.mailbox.overflow else {
                    return undelivered(pending, key: key, .full)
                }
                let slotTimeout = switch (timeout, remaining) {
                case (let policy?, let left?): min(policy, left)
                case (let policy, nil): policy
                case (nil, let left): left
                }
                switch await registry.waitForSlot(timeout: slotTimeout) {
                case .granted: reserved = true
                case .timedOut: return undelivered(pending, key: key, .timedOut)
                case .cancelled: return undelivered(pending, key: key, .cancelled)
                case .stopped: return undelivered(pending, key: key, .stopped)
                }
            }
        }
    }

    /// The time left until `deadline`, rounded up to 10 ms: waits with a limit share the
    /// system's deadline lanes by duration, so a handful of distinct values keeps them few.
    static func waitLimit(until deadline: ClockInstant, now: ClockInstant) -> Duration {
        let left = now.duration(to: deadline)
        guard left > .zero else { return .zero }
        let step = Duration.milliseconds(10)
        let steps = (left / step).rounded(.up)
        return step * steps
    }

    /// Offers `message` to the actor for `key` without suspending: ``SendOutcome/full`` if
    /// the key has no actor and every slot is taken.
    @discardableResult
    public func trySend(_ message: Message, to key: Key) -> SendOutcome {
        var pending = message
        while true {
            switch registry.lookup(key) {
            case .stopped:
                return undelivered(pending, key: key, .stopped)
            case .full:
                return undelivered(pending, key: key, .full)
            case .cell(let cell):
                let (outcome, bounced) = cell.trySendUnlessClosed(pending)
                guard let bounced else { return outcome }
                pending = bounced
            }
        }
    }

    /// Asks the actor for `key` (created if needed) and waits for its reply.
    public nonisolated(nonsending) func ask<Reply: Sendable>(
        _ key: Key,
        timeout: Duration? = nil,
        _ makeRequest: (ReplyTo<Reply>) -> Message
    ) async throws(AskError) -> Reply {
        let target: CellBase
        switch registry.lookup(key) {
        case .cell(let cell): target = cell
        case .full, .stopped:
            guard let owner = registry.ownerCell else { throw .stopped(.root) }
            target = owner
        }
        return try await performAsk(
            target: target, timeout: timeout, makeRequest, tryTurn: { $0 }, offer: { request, _ in .mustWait(request) },
            wait: { request, limit, waiter in await deliver(request, to: key, within: limit, request: (true, waiter)) }
        )
    }

    /// Asks the actor for `key` only if it exists now; nil, at once, if there is none (none
    /// is created). For messages that only matter to a live actor, such as an invalidation
    /// of what it caches: an actor created later starts from fresh state anyway, and this
    /// never evicts another actor to make room for one that has nothing to do. Also nil when
    /// the actor stopped before it replied (it was retiring).
    public nonisolated(nonsending) func askIfLive<Reply: Sendable>(
        _ key: Key,
        timeout: Duration? = nil,
        _ makeRequest: (ReplyTo<Reply>) -> Message
    ) async throws(AskError) -> Reply? {
        guard let cell = registry.existing(key) else { return nil }
        do {
            return try await performAsk(
                target: cell, timeout: timeout, makeRequest, tryTurn: { $0 }, offer: { request, _ in .mustWait(request) },
                wait: { request, limit, waiter in
                    // Retired meanwhile: its successor (if any) starts fresh, so nothing is owed.
                    let (outcome, bounced) = await cell.sendUnlessClosed(request, waitLimit: limit, settling: waiter)
                    return bounced == nil ? outcome : .stopped
                }
            )
        } catch {
            if case .stopped = error { return nil }
            throw error
        }
    }

    /// Counters: live and pinned actors, high-water mark, passivations, evictions.
    public var metrics: KeyedMetrics { registry.metrics }

    private func undelivered(_ message: Message, key: Key, _ outcome: SendOutcome) -> SendOutcome {
        if let system = registry.system, let path = registry.path {
            let reason: DeadLetterReason = switch outcome {
            case .full: .mailboxFull
            case .timedOut: .sendTimedOut
            case .cancelled: .sendCancelled
            default: .actorStopped
            }
            system.deadLetters.record(message, to: path.appending(ActorPath.escapedName(String(describing: key))), reason: reason)
        }
        return outcome
    }
}

extension ActorSystem {
    /// Starts a set of keyed actors under the root supervisor, named `name`.
    @discardableResult
    public func start<Key, Message>(_ keyed: KeyedActors<Key, Message>, name: String) async throws -> ActorPath {
        try await start(keyed.childSpec(name))
    }
}
