/// How a child is stopped: asked to stop, then cancelled if it takes too long.
///
/// Stopping is graceful first: the child finishes the message in progress, stops its own
/// children, runs its `stopping` hook and ends. If it has not ended when `timeout` passes,
/// its task (and every task under it) is cancelled. Cancellation is cooperative in Swift:
/// a handler sees it at its next cancellation-aware `await`.
public struct ShutdownPolicy: Sendable, Hashable {
    /// How long a graceful stop may take before cancellation; nil waits as long as it takes
    /// (the right choice for supervisors, whose children have their own timeouts).
    public let timeout: Duration?

    private init(timeout: Duration?) {
        self.timeout = timeout
    }

    /// Stop gracefully, cancel after `timeout` (which must not be negative; zero cancels at once).
    public static func graceful(timeout: Duration) throws(ConfigurationError) -> ShutdownPolicy {
        try ConfigurationError.requireNonNegative(timeout, "shutdown timeout")
        return ShutdownPolicy(timeout: timeout)
    }

    /// Stop gracefully and wait for the whole subtree, however long.
    public static let unbounded = ShutdownPolicy(timeout: nil)

    /// Default for actors: 5 seconds.
    public static let defaultForActors = ShutdownPolicy(timeout: .seconds(5))
}
