import Troupe

/// One write handed to a ``GroupCommitWriter``, as the writer actor handles it.
protocol GroupWrite: AnyObject, Sendable {
    /// True once the caller has its outcome (or gave up before the write joined a group).
    var isFinished: Bool { get }
    /// Takes the write into a group; false if its caller already gave up (skip it).
    func claim() -> Bool
    /// Runs the write inside the group's transaction, on the connection's thread, and keeps
    /// its outcome until the commit. With `isolated`, inside a savepoint of its own, so that
    /// its failure is undone alone and the group goes on. Returns the write's own failure
    /// (a unique violation, bad SQL), or nil when it succeeded.
    ///
    /// - Throws: a failure the whole group must share: `transient` (the transaction is
    ///   retried) or `unavailable` (the database is gone).
    func stage(on connection: any DatabaseConnection, isolated: Bool) throws(DatabaseError) -> DatabaseError?
    /// The group committed: the caller gets the staged outcome.
    func publish()
    /// The group failed as a whole: the caller gets `error`.
    func fail(_ error: DatabaseError)
}

/// A caller's write: its body, its staged outcome and its reply.
///
/// # Thread safety
/// Made by the caller, handled by the writer actor, staged and published on a connection
/// thread: the staged outcome is guarded by `lock`; everything else is immutable or a `OneShot`.
// Unchecked Sendable: `staged` is only read and written while `lock` is held; the other stored properties are immutable and Sendable.
final class PendingWrite<Value: Sendable>: GroupWrite, @unchecked Sendable {
    private let body: @Sendable (any DatabaseConnection) throws(DatabaseError) -> Value
    /// The outcome of the latest run, kept until the group commits (a retried group runs
    /// the body again and replaces it).
    private let lock = Lock()
    private var staged: Result<Value, DatabaseError>?
    let reply = OneShot<Result<Value, DatabaseError>>()

    init(body: @escaping @Sendable (any DatabaseConnection) throws(DatabaseError) -> Value) {
        self.body = body
    }

    deinit {
        // Dropped without an outcome (the writer failed while handling its message): the
        // caller, which holds only the reply, must not wait forever.
        reply.finish(.failure(DatabaseError(
            .unavailable, reason: "the write was lost: the group-commit writer failed or stopped before running it",
            remedy: "The writer restarts under its supervisor: retry the write."
        )))
    }

    var isFinished: Bool { reply.isFinished }

    func claim() -> Bool { reply.claim() }

    func stage(on connection: any DatabaseConnection, isolated: Bool) throws(DatabaseError) -> DatabaseError? {
        let outcome: Result<Value, DatabaseError>
        do throws(DatabaseError) {
            if isolated {
                outcome = .success(try connection.withSavepoint { () throws(DatabaseError) in try body(connection) })
            } else {
                outcome = .success(try body(connection))
            }
        } catch let error where Self.isGroupFailure(error) {
            throw error
        } catch {
            outcome = .failure(error)
        }
        lock.withLock { staged = outcome }
        return outcome.failure
    }

    func publish() {
        guard let outcome = lock.withLock({ staged }) else {
            fail(DatabaseError(.other, reason: "the group committed without running this write", remedy: "This is a bug in the group-commit writer."))
            return
        }
        reply.finish(outcome)
    }

    func fail(_ error: DatabaseError) {
        reply.finish(.failure(error))
    }

    /// Failures that are not the write's own: the transaction or the connection is gone,
    /// so the group as a whole fails (or is retried).
    private static func isGroupFailure(_ error: DatabaseError) -> Bool {
        switch error.kind {
        case .transient, .unavailable: true
        case .uniqueViolation, .timeout, .overloaded, .incompatibleSchema, .other: false
        }
    }
}

extension Result {
    /// The failure, or nil for a success.
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
