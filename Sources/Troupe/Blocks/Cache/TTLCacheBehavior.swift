/// What a TTL cache's actor is asked.
enum TTLCacheMessage<Owner: Hashable & Sendable, Key: Hashable & Sendable, Value: Sendable>: Sendable {
    case get(Key, owner: Owner, load: @Sendable () async throws -> Value, ReplyTo<Value>)
    /// A load ended (delivered through the system lane by `pipeToSelf`).
    case loaded(version: UInt64, Result<Value, any Error>)
    case invalidateKey(Key, owner: Owner, ReplyTo<Int>)
    case invalidateOwner(Owner, ReplyTo<Int>)
    case metrics(ReplyTo<TTLCacheMetrics>)
    case sweep
}

/// The actor behind a ``TTLCache``: owns the ``TTLCacheState`` and the lookups waiting for
/// each load, and runs loads as its own background work (`pipeToSelf`), so a slow load
/// never holds up hits or other keys, and a caller that gives up does not cancel a load
/// that others wait for. Loads end with the actor: stopping it cancels them.
struct TTLCacheBehavior<Owner: Hashable & Sendable, Key: Hashable & Sendable, Value: Sendable>: Behavior {
    typealias Message = TTLCacheMessage<Owner, Key, Value>

    var state: TTLCacheState<Owner, Key, Value>
    /// The lookups waiting for each load in flight, by version.
    var waiters: [UInt64: [ReplyTo<Value>]] = [:]

    mutating func started(context: ActorContext<Message>) async throws {
        try context.startPeriodicTimer("sweep", every: state.configuration.sweepInterval, message: .sweep)
    }

    mutating func receive(_ message: Message, context: ActorContext<Message>) async throws {
        switch message {
        case .get(let key, let owner, let load, let reply):
            switch state.lookup(key, owner: owner, now: context.now) {
            case .hit(let value):
                reply.reply(value)
            case .join(let version):
                waiters[version, default: []].append(reply)
            case .load(let version):
                waiters[version] = [reply]
                context.pipeToSelf(load) { .loaded(version: version, $0) }
            }
        case .loaded(let version, let result):
            state.loaded(version: version, result, now: context.now)
            for reply in waiters.removeValue(forKey: version) ?? [] {
                switch result {
                case .success(let value): reply.reply(value)
                case .failure(let error): reply.fail(error)
                }
            }
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
}
