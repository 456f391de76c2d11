/// A reusable stateful actor from `Troupe`'s building blocks (event bus, rate limiter,
/// TTL cache, circuit breaker, worker pool): a `Sendable` façade that callers hold, backed
/// by one actor placed in a supervision tree.
///
/// ```swift
/// let breaker = try CircuitBreaker(CircuitBreakerConfiguration(failureThreshold: 5))
/// let services = try SupervisorSpec(children: [breaker.childSpec("db-breaker")])
/// try await system.start(.supervisor("services", services))
/// let rows = try await breaker.run { try await database.query() }
/// ```
///
/// Place a block once. Calls made before its spec has been placed fail at once with the
/// block's `notStarted` error (``WorkerPoolError/notStarted``, ``TTLCacheError/notStarted``
/// and so on; publishing to an event bus reaches no one, and reporting an outcome to a
/// circuit breaker does nothing). Calls made while its actor restarts wait in its mailbox.
public protocol BuildingBlock: Sendable {
    /// The spec that places the block's actor in a tree under the name `name`.
    ///
    /// - Parameter restart: when the supervisor restarts the actor (fresh state: a restart
    ///   forgets what the block held, which is always safe for these blocks).
    /// - Throws: ``ConfigurationError/invalidName(_:)`` for a bad name.
    func childSpec(_ name: String, restart: RestartType) throws(ConfigurationError) -> ChildSpec
}

extension BuildingBlock {
    /// The spec with restart type ``RestartType/permanent``.
    public func childSpec(_ name: String) throws(ConfigurationError) -> ChildSpec {
        try childSpec(name, restart: .permanent)
    }
}

extension ActorSystem {
    /// Starts a building block's actor under the root supervisor, named `name`, and waits
    /// until it runs.
    @discardableResult
    public func start(_ block: some BuildingBlock, name: String) async throws -> ActorPath {
        try await start(block.childSpec(name))
    }
}
