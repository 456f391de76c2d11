import Troupe
import TroupeStore

/// The unlock coordinator (`services/unlock`): the one owner of community progression.
///
/// Contributions (`ENGAGE`, and the `message` credit of every `SAY` and `DM`) and votes are
/// applied one at a time to an ``UnlockState`` in memory (so an unlock happens exactly once,
/// and progress is never re-read from storage), and written through the group-commit writer
/// in batches: while one batch commits, the next accumulates, so the coordinator never waits
/// for a commit before taking the next contribution. A reply, an `unlocked` push or a
/// `voting` push is sent only once the writes it depends on are committed. The database's
/// `UNIQUE(node_id, level)` on unlocks is the last guard.
///
/// Bounds: the batch being built holds at most
/// ``BackendConfiguration/coordinatorPendingCapacity`` contributions and votes; beyond, a
/// request is `-BUSY` (a `SAY`'s or `DM`'s credit is dropped and counted). A batch the
/// writer refuses unrun (its queue full) is submitted again after ``resubmitDelay``.
///
/// Failure: if a batch fails to commit, memory is ahead of storage. The coordinator then
/// fails every request it holds (`UNAVAILABLE`), forgets its state and rebuilds it from
/// storage (retrying every ``reloadInterval`` while storage is down), answering
/// `UNAVAILABLE` meanwhile. A crash (a thrown error, an injected fault) restarts it, and the
/// new incarnation rebuilds the same way: nothing acknowledged is lost, nothing unlocked twice.
struct CoordinatorBehavior: Behavior {
    typealias Message = CoordinatorMessage

    /// How long the coordinator waits before retrying storage after a failure.
    static let reloadInterval: Duration = .seconds(1)

    let services: BackendServices
    let tree: ProgressionTree
    var state: UnlockState?
    /// Writes, replies and pushes of the batch being built.
    var pending = Batch()
    /// The batch being committed.
    var inFlight: Batch?

    struct Batch {
        var writes: [UnlockState.Write] = []
        var credits: [(ReplyTo<Int64>, Int64)] = []
        var votes: [ReplyTo<Void>] = []
        var pushes: [Push] = []
        var contributions = 0

        var isEmpty: Bool { writes.isEmpty && credits.isEmpty && votes.isEmpty && pushes.isEmpty }

        mutating func add(_ effects: UnlockState.Effects) {
            writes += effects.writes
            pushes += effects.pushes
        }

        func fail(_ error: ErrorReply) {
            for (reply, _) in credits { reply.fail(error) }
            for reply in votes { reply.fail(error) }
        }
    }

    init(services: BackendServices) {
        self.services = services
        self.tree = services.configuration.tree
    }

    mutating func started(context: ActorContext<CoordinatorMessage>) async throws {
        await reload(context)
    }

    mutating func receive(_ message: CoordinatorMessage, context: ActorContext<CoordinatorMessage>) async throws {
        switch message {
        case .credit(let user, let kind, let points, let reply):
            // The state is mutated in place (`state!`), never through a copy: a copy would
            // duplicate its per-user maps on every credit.
            guard state != nil else {
                if reply == nil { services.counters.creditsDropped.add(1, ordering: .relaxed) }
                return reply?.fail(Self.loading) ?? ()
            }
            guard hasRoom else {
                if reply == nil { services.counters.creditsDropped.add(1, ordering: .relaxed) }
                return reply?.fail(Self.overloaded) ?? ()
            }
            let effects = state!.credit(user: user, kind: kind.value, points: points, at: services.wallClock.unixMillis())
            apply(effects, context)
            pending.contributions += 1
            if let reply { pending.credits.append((reply, points)) }
            flush(context)
        case .vote(let user, let node, let reply):
            guard state != nil else { return reply.fail(Self.loading) }
            guard hasRoom else { return reply.fail(Self.overloaded) }
            do {
                let effects = try state!.vote(user: user, node: node, at: services.wallClock.unixMillis())
                apply(effects, context)
                pending.votes.append(reply)
                flush(context)
            } catch {
                reply.fail(error)
            }
        case .progress(let user, let reply):
            guard let state else { return reply.fail(Self.loading) }
            reply.reply(state.snapshot(for: user))
        case .votingEnded(let id):
            guard state != nil else { return }
            let effects = state!.closeVoting(id: id, at: services.wallClock.unixMillis())
            apply(effects, context)
            flush(context)
        case .committed(let result):
            guard let batch = inFlight else { return }
            inFlight = nil
            switch result {
            case .success:
                for (reply, points) in batch.credits { reply.reply(points) }
                for reply in batch.votes { reply.reply(()) }
                for push in batch.pushes { services.publish(push, to: .everyone) }
                flush(context)
            case .failure(let error as DatabaseError) where error.kind == .overloaded:
                // The writer refused the batch before running any of it: submit it again
                // shortly; memory and storage still agree up to it.
                inFlight = batch
                context.startTimer("resubmit", after: Self.resubmitDelay, message: .resubmit)
            case .failure(let error):
                let reply = ErrorReply.from(error)
                services.log(.error, "unlock coordinator: a batch did not commit (\(error)); rebuilding from storage")
                batch.fail(reply)
                pending.fail(reply)
                pending = Batch()
                state = nil
                context.cancelTimer("voting")
                await reload(context)
            }
        case .reload:
            if state == nil { await reload(context) }
        case .resubmit:
            if let batch = inFlight { submit(batch, context) }
        }
    }

    private mutating func apply(_ effects: UnlockState.Effects, _ context: ActorContext<CoordinatorMessage>) {
        pending.add(effects)
        if let opened = effects.votingOpened {
            let left = max(0, opened.endsAt - services.wallClock.unixMillis())
            context.startTimer("voting", after: .milliseconds(left), message: .votingEnded(id: opened.id))
        }
    }

    /// Starts committing the pending batch unless one is in flight.
    private mutating func flush(_ context: ActorContext<CoordinatorMessage>) {
        guard inFlight == nil, !pending.isEmpty else { return }
        let batch = pending
        pending = Batch()
        inFlight = batch
        submit(batch, context)
    }

    private func submit(_ batch: Batch, _ context: ActorContext<CoordinatorMessage>) {
        let writes = batch.writes
        guard !writes.isEmpty else {
            context.pipeToSelf({ () }, map: { .committed($0) })
            return
        }
        let writer = services.writer
        context.pipeToSelf({
            try await writer.write { connection throws(DatabaseError) in try UnlockStore.apply(writes, on: connection) }
        }, map: { .committed($0) })
    }

    /// Rebuilds the state from storage; on failure retries after ``reloadInterval``.
    private nonisolated(nonsending) mutating func reload(_ context: ActorContext<CoordinatorMessage>) async {
        let tree = self.tree
        let votingMillis = Self.milliseconds(services.configuration.votingDuration)
        let now = services.wallClock.unixMillis()
        do {
            let (loaded, effects) = try await services.pool.withConnection { connection throws(DatabaseError) in
                try UnlockStore.load(tree: tree, votingMillis: votingMillis, now: now, on: connection)
            }
            state = loaded
            apply(effects, context)
            flush(context)
        } catch {
            services.log(.warning, "unlock coordinator: cannot load progression (\(error)); retrying in \(Self.reloadInterval)")
            context.startTimer("reload", after: Self.reloadInterval, message: .reload)
        }
    }

    static let loading = ErrorReply(.unavailable, "progression is loading from storage")
    static let overloaded = ErrorReply.busy("progression is overloaded")
    /// How long a batch the writer refused (its queue full) waits before it is submitted again.
    static let resubmitDelay: Duration = .milliseconds(10)

    /// Whether another contribution or vote fits beside the batch being built.
    private var hasRoom: Bool {
        pending.contributions + pending.votes.count < services.configuration.coordinatorPendingCapacity
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }
}
