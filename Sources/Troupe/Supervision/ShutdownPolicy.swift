/// How a child is stopped: asked to stop, cancelled if it takes too long, abandoned if it
/// ignores that too. A stop never waits longer than twice the timeout.
///
/// Stopping is graceful first: the child finishes the message in progress, stops its own
/// children, runs its `stopping` hook and ends. If it has not ended when `timeout` passes,
/// its task (and every task under it) is cancelled. Cancellation is cooperative in Swift:
/// a handler sees it at its next cancellation-aware `await`.
///
/// If it still has not ended one more `timeout` later, it is **abandoned** (OTP would kill
/// it; Swift cannot end a task from outside). Its supervisor stops waiting and treats it as
/// ended with ``ExitReason/cancelled``: the actor terminates (its mailbox closes, watchers
/// are told), it is logged (warning) and counted (``ActorSystem/abandonedTaskCount`` while
/// the task runs on, ``ActorSystem/abandonedTasksTotal``). The task itself is cut off: its
/// end, if it comes, is reported to nobody, and a stop waits on its lane so it ends as soon
/// as its handler returns. Descendants still running are abandoned with it.
///
/// An abandoned actor never runs again, so it never overlaps a successor: if its supervisor
/// starts the child again (a restart, ``SupervisorRef/restartChild(_:)``, the
/// supervisor's own restart), the child comes back as a new actor at the same path, made
/// from its spec: a fresh mailbox, no restarts counted, a ``ChildRef`` bound to it, while
/// refs to the old one get ``SendOutcome/stopped``.
public struct ShutdownPolicy: Sendable, Hashable {
    /// How long a graceful stop may take before cancellation, and cancellation before the
    /// child is abandoned; nil waits as long as it takes (the right choice for supervisors,
    /// whose children have their own timeouts).
    public let timeout: Duration?

    private init(timeout: Duration?) {
        self.timeout = timeout
    }

    /// Stop gracefully, cancel after `timeout`, abandon after `timeout` more. `timeout` must
    /// not be negative; zero is OTP's `brutal_kill` as near as Swift gets: cancelled at
    /// once and, unless that ends it at once, abandoned.
    public static func graceful(timeout: Duration) throws(ConfigurationError) -> ShutdownPolicy {
        try ConfigurationError.requireNonNegative(timeout, "shutdown timeout")
        return ShutdownPolicy(timeout: timeout)
    }

    /// Stop gracefully and wait for the whole subtree, however long: never cancelled, never
    /// abandoned.
    public static let unbounded = ShutdownPolicy(timeout: nil)

    /// Default for actors: 5 seconds.
    public static let defaultForActors = ShutdownPolicy(timeout: .seconds(5))
}
