import Troupe

/// What became of one attempt of a job on a connection thread, as the pool actor needs to
/// know it (the caller learns its own typed result directly from the thread).
enum JobOutcome: Sendable {
    /// The body returned; the caller has its value.
    case succeeded
    /// The body (or opening the connection) failed; the caller has the error.
    case failed(DatabaseError)
    /// A retryable failure the caller has not been told about: the pool may run the job
    /// again after a backoff, or fail it with this error.
    case retry(DatabaseError)
    /// The caller had given up (cancelled) before the job ran; nothing was run.
    case abandoned
}

/// A unit of work waiting for, or running on, a pooled connection: the type-erased side the
/// pool actor handles. ``PoolRequest`` is the one implementation.
protocol PoolJob: AnyObject, Sendable {
    /// When the caller asked (for the wait-time histogram).
    var submittedAt: ClockInstant { get }
    /// When the caller stops waiting for a connection (and for retries).
    var deadline: ClockInstant { get }
    /// True when running it again after a transient failure is safe (an idempotent
    /// statement, or a whole transaction).
    var retryable: Bool { get }
    /// True once the caller has its result (or gave up before the job started): the pool
    /// skips it.
    var isFinished: Bool { get }
    /// The caller hears its outcome only once the pool has counted it (a health check,
    /// whose caller reads the counters next).
    var holdsReply: Bool { get }
    /// Runs the job on the connection thread that owns `session`. With `mayRetry`, a
    /// retryable failure is returned as ``JobOutcome/retry(_:)`` without telling the caller.
    /// With `holdReply`, the caller is told only when the pool calls ``deliver()``.
    func run(on session: ConnectionSession, mayRetry: Bool, holdReply: Bool) -> JobOutcome
    /// Tells the caller the outcome held back by ``run(on:mayRetry:holdReply:)``.
    func deliver()
    /// Fails the job with `error` (deadline, full queue, open breaker, stopped pool);
    /// false if the caller already had a result or had given up.
    @discardableResult
    func fail(_ error: DatabaseError) -> Bool
}

/// A caller's request for a connection: its body, typed result and deadline.
///
/// # Thread safety
/// Made by the caller, handled by the pool actor, run on a connection thread: the held
/// outcome is guarded by `lock`; everything else is immutable or a `OneShot`.
// Unchecked Sendable: `held` is only read and written while `lock` is held; the other stored properties are immutable and Sendable.
final class PoolRequest<Value: Sendable>: PoolJob, @unchecked Sendable {
    let submittedAt: ClockInstant
    let deadline: ClockInstant
    let retryable: Bool
    let holdsReply: Bool
    private let body: @Sendable (any DatabaseConnection) throws(DatabaseError) -> Value
    let reply = OneShot<Result<Value, DatabaseError>>()
    /// An outcome held back until the pool has counted it (a breaker probe's).
    private let lock = Lock()
    private var held: Result<Value, DatabaseError>?

    init(
        submittedAt: ClockInstant,
        deadline: ClockInstant,
        retryable: Bool,
        holdsReply: Bool = false,
        body: @escaping @Sendable (any DatabaseConnection) throws(DatabaseError) -> Value
    ) {
        self.submittedAt = submittedAt
        self.deadline = deadline
        self.retryable = retryable
        self.holdsReply = holdsReply
        self.body = body
    }

    deinit {
        // The last reference went away: deliver a held outcome whose report never reached
        // the pool, or, without one, the message carrying the request was lost (the pool
        // actor failed while handling it). The caller, which holds only the reply, must not
        // wait forever. (Both are no-ops when the caller already has its outcome.)
        if let held = lock.withLock({ self.held }) {
            reply.finish(held)
        }
        reply.finish(.failure(DatabaseError(
            .unavailable, reason: "the request was lost: the connection pool failed or stopped before running it",
            remedy: "The pool restarts under its supervisor: retry the request."
        )))
    }

    var isFinished: Bool { reply.isFinished }

    func run(on session: ConnectionSession, mayRetry: Bool, holdReply: Bool) -> JobOutcome {
        // From here on the caller waits for this outcome, even if it is cancelled.
        guard reply.claim() else { return .abandoned }
        let result: Result<Value, DatabaseError>
        do throws(DatabaseError) {
            let connection = try session.open()
            result = .success(try body(connection))
        } catch {
            result = .failure(error)
        }
        session.cleanUp()
        if case .failure(let error) = result, error.isRetryable && mayRetry {
            return .retry(error)
        }
        if holdReply {
            lock.withLock { held = result }
        } else {
            reply.finish(result)
        }
        switch result {
        case .success: return .succeeded
        case .failure(let error): return .failed(error)
        }
    }

    func deliver() {
        guard let outcome = lock.withLock({ held }) else { return }
        reply.finish(outcome)
    }

    @discardableResult
    func fail(_ error: DatabaseError) -> Bool {
        reply.finish(.failure(error))
    }
}
