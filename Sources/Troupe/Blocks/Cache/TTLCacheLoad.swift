/// One load of a TTL cache in flight: the lookups waiting for it (owned by the cache's
/// actor) and the way to end it early when its timeout passes.
///
/// ``run(_:)`` runs the load as a child task and waits for `outcome`, which the child
/// completes with the load's result, or ``cancel()`` completes first. Either way the child
/// is then cancelled and awaited, so the background task that runs the load ends when the
/// load has really ended (a load that ignores cancellation keeps it, and its place among
/// the loads in flight, until it returns), and no task outlives the load.
///
/// # Concurrency contract
/// `waiters` is touched only by the cache actor's handlers, which own the load; `run` runs
/// in the actor's background task; `cancel` may be called from anywhere. Only `outcome`
/// (a ``Completion``: lock-protected, first result wins) is shared between them.
///
/// Usable from inlinable code (the cache actor's handler, specialized in the caller's
/// module); its methods stay out of line, as they run once per load, not per lookup.
@usableFromInline
struct TTLCacheLoad<Value: Sendable>: Sendable {
    /// The lookups waiting for the load's result.
    @usableFromInline var waiters: [ReplyTo<Value>]
    private let outcome = Completion<Value>()

    @usableFromInline
    init(first: ReplyTo<Value>) {
        waiters = [first]
    }

    /// Runs `load` until it ends or ``cancel()`` is called, whichever comes first; then
    /// cancels it and waits for it to end. Returns or throws the first outcome.
    @usableFromInline
    func run(_ load: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let outcome = self.outcome
        let first: Result<Value, any Error> = await withDiscardingTaskGroup { group in
            group.addTask {
                do { outcome.succeed(try await load()) } catch { outcome.fail(error) }
            }
            let first = await outcome.wait()
            group.cancelAll()
            return first
        }
        return try first.get()
    }

    /// Ends the wait of ``run(_:)`` with `CancellationError` and cancels the load.
    @usableFromInline
    func cancel() {
        outcome.fail(CancellationError())
    }
}
