/// How an idle actor waits for its next message, and so how a sender wakes it: its
/// incarnation's task is parked on a continuation, or the incarnation is dormant (it let its
/// task end while it waits, and a new task takes over when work arrives).
///
/// Whoever takes the value out of ``CellBase/consumer`` (under the cell's lock) owns the
/// actor's turn until it wakes the incarnation or puts the value back; `wake` is called
/// after the lock is released.
@usableFromInline
enum ParkedConsumer: Sendable {
    /// The incarnation's task waits in ``ActorCell/parkUntilWork()``.
    case task(UnsafeContinuation<Void, Never>)
    /// The incarnation has no task: see ``ActorSystem/Configuration/idleTaskRelease``.
    case dormant

    /// Wakes the incarnation of `cell`: resumes its task, or starts a new one.
    @inlinable
    func wake(_ cell: CellBase) {
        switch self {
        case .task(let continuation): continuation.resume()
        case .dormant: cell.resumeDormantIncarnation()
        }
    }
}
