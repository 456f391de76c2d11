/// What a TTL cache's actor is asked.
@usableFromInline
enum TTLCacheMessage<Owner: Hashable & Sendable, Key: Hashable & Sendable, Value: Sendable>: Sendable {
    case get(Key, owner: Owner, load: @Sendable () async throws -> Value, ReplyTo<Value>)
    /// A load's task ended (delivered through the system lane by `pipeToSelf`).
    case loaded(version: UInt64, Result<Value, any Error>)
    /// A load's timeout passed (a timer, on the system lane).
    case loadTimedOut(version: UInt64)
    case invalidateKey(Key, owner: Owner, ReplyTo<Int>)
    case invalidateOwner(Owner, ReplyTo<Int>)
    case metrics(ReplyTo<TTLCacheMetrics>)
    case sweep
}

/// The actor behind a ``TTLCache``: owns the ``TTLCacheState`` and the lookups waiting for
/// each load, and runs loads as its own background work (`pipeToSelf`), so a slow load
/// never holds up hits or other keys, and a caller that gives up does not cancel a load
/// that others wait for. Each load has a timer: when `loadTimeout` passes first, its
/// waiters fail, and the load is cancelled (``TTLCacheLoad``). Loads end with the actor:
/// stopping it cancels them.
///
/// The handler is inlinable, so it is specialized with the actor's loop where
/// ``TTLCache/childSpec(_:restart:)`` is called; the rare paths (start, timer keys, the
/// load itself) stay out of line.
@usableFromInline
struct TTLCacheBehavior<Owner: Hashable & Sendable, Key: Hashable & Sendable, Value: Sendable>: SynchronousBehavior {
    @usableFromInline typealias Message = TTLCacheMessage<Owner, Key, Value>

    @usableFromInline var state: TTLCacheState<Owner, Key, Value>
    /// The loads in flight whose task has not ended, by version, with the lookups still
    /// waiting for them (none once timed out).
    @usableFromInline var loads: [UInt64: TTLCacheLoad<Value>] = [:]

    @usableFromInline
    init(state: TTLCacheState<Owner, Key, Value>) {
        self.state = state
    }

    @usableFromInline
    mutating func started(context: ActorContext<Message>) async throws {
        try context.startPeriodicTimer("sweep", every: state.configuration.sweepInterval, message: .sweep)
    }

    @inlinable
    mutating func receiveSynchronously(_ message: Message, context: ActorContext<Message>) throws {
        switch message {
        case .get(let key, let owner, let load, let reply):
            switch state.lookup(key, owner: owner, now: context.now) {
            case .hit(let value):
                reply.reply(value)
            case .join(let version):
                loads[version]?.waiters.append(reply)
            case .load(let version):
                let running = TTLCacheLoad<Value>(first: reply)
                loads[version] = running
                context.startTimer(Self.timerKey(version), after: state.configuration.loadTimeout, message: .loadTimedOut(version: version))
                context.pipeToSelf({ try await running.run(load) }) { .loaded(version: version, $0) }
            case .rejected(let error):
                reply.fail(TTLCacheRefusal(error: error))
            }
        case .loaded(let version, let result):
            context.cancelTimer(Self.timerKey(version))
            state.loaded(version: version, result, now: context.now)
            for reply in loads.removeValue(forKey: version)?.waiters ?? [] {
                switch result {
                case .success(let value): reply.reply(value)
                case .failure(let error): reply.fail(error)
                }
            }
        case .loadTimedOut(let version):
            guard state.timedOut(version: version), let load = loads[version] else { return }
            let refusal = TTLCacheRefusal(error: .loadTimedOut(after: state.configuration.loadTimeout))
            for reply in load.waiters { reply.fail(refusal) }
            loads[version]?.waiters = []
            load.cancel()
        case .invalidateKey(let key, let owner, let reply):
            reply.reply(state.invalidate(key, owner: owner))
        case .invalidateOwner(let owner, let reply):
            reply.reply(state.invalidate(owner: owner))
        case .metrics(let reply):
            reply.reply(state.metrics)
        case .sweep:
            state.expire(now: context.now)
        }
    }

    @usableFromInline
    static func timerKey(_ version: UInt64) -> String {
        "load-\(version)"
    }
}
