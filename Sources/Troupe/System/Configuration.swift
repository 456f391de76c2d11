/// Severity of a runtime log line.
public enum LogLevel: Int, Sendable, Comparable, CustomStringConvertible {
    /// In increasing severity; a system logs lines at or above its `logLevel` (default
    /// `.warning`).
    case debug, info, warning, error

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .debug: "debug"
        case .info: "info"
        case .warning: "warning"
        case .error: "error"
        }
    }
}

extension ActorSystem {
    /// Settings of an ``ActorSystem``. Every bound has a default and is validated here.
    public struct Configuration: Sendable {
        /// Worker threads actors run on. Default: the number of cores (at least 1).
        public let threads: Int
        /// The clock for every timer, deadline and backoff. Default: a new ``SystemClock``.
        public let clock: any ActorClock
        /// Deadline of an `ask` that does not give one. Default: 5 s.
        public let askTimeout: Duration
        /// Strategy and intensity of the root supervisor (its children are added with
        /// ``ActorSystem/start(_:)``). Default: one for one, 3 restarts in 5 s.
        public let rootSupervisor: SupervisorSpec
        /// Seed for backoff jitter; fix it to make jitter repeatable. Default: random.
        public let randomSeed: UInt64
        /// Lines below this level are not logged. Default: warning.
        public let logLevel: LogLevel
        /// Where log lines go. Default: standard error.
        public let logger: @Sendable (LogLevel, String) -> Void
        /// How many immediate turns may nest on one thread: a sender runs an idle actor's
        /// ``Behavior/receiveImmediately(_:context:)`` itself, and that handler's own sends
        /// may do the same, this deep; past it messages are queued and the actor's task
        /// woken. 0 turns immediate turns off (every message wakes the actor's task).
        /// Default: 4; at most ``maximumImmediateTurnDepth`` (each level is a handler's
        /// frame on the sender's stack).
        public let immediateTurnDepth: Int

        /// The largest ``immediateTurnDepth`` accepted.
        public static let maximumImmediateTurnDepth = 64

        /// When an idle actor lets its task go. An actor out of messages either keeps its
        /// task, parked, so that the next message only resumes it; or releases it, and the
        /// next message starts a new task (about a microsecond more), while an idle actor
        /// then holds no task and no frames: about 2.4 KB less per actor. An actor releases
        /// its task at the first two waits of an incarnation, and at any wait that follows
        /// one that lasted at least this long (measured on the machine's monotonic clock,
        /// not ``clock``: it is a memory-for-speed bet, not behaviour). So a busy actor
        /// keeps its task, and an actor started for a message or two (a keyed actor for a
        /// request, say) or that receives them rarely holds none while it waits. An actor
        /// that handled a burst and then went quiet keeps its task until its next message.
        /// Nothing observable changes: order, one message at a time and supervision are the
        /// same either way. Zero: every wait releases the task (the least memory, a new task
        /// for every wake-up). nil: actors always keep their tasks. Default: 10 ms.
        public let idleTaskRelease: Duration?

        /// - Throws: ``ConfigurationError`` if `threads` is below 1, `askTimeout` is not
        ///   positive, `idleTaskRelease` is negative, or `immediateTurnDepth` is outside
        ///   `0...maximumImmediateTurnDepth`.
        public init(
            threads: Int = Configuration.defaultThreads,
            clock: (any ActorClock)? = nil,
            askTimeout: Duration = .seconds(5),
            rootSupervisor: SupervisorSpec? = nil,
            randomSeed: UInt64? = nil,
            logLevel: LogLevel = .warning,
            logger: @escaping @Sendable (LogLevel, String) -> Void = Configuration.standardError,
            immediateTurnDepth: Int = 4,
            idleTaskRelease: Duration? = .milliseconds(10)
        ) throws(ConfigurationError) {
            try ConfigurationError.requirePositive(threads, "threads")
            guard (0...Configuration.maximumImmediateTurnDepth).contains(immediateTurnDepth) else {
                throw .outOfRange(
                    setting: "immediate turn depth", value: Double(immediateTurnDepth),
                    range: 0...Double(Configuration.maximumImmediateTurnDepth)
                )
            }
            try ConfigurationError.requirePositive(askTimeout, "ask timeout")
            if let idleTaskRelease { try ConfigurationError.requireNonNegative(idleTaskRelease, "idle task release") }
            self.threads = threads
            self.clock = clock ?? SystemClock()
            self.askTimeout = askTimeout
            self.rootSupervisor = rootSupervisor ?? (try! SupervisorSpec(children: []))
            self.randomSeed = randomSeed ?? UInt64.random(in: .min ... .max)
            self.logLevel = logLevel
            self.logger = logger
            self.immediateTurnDepth = immediateTurnDepth
            self.idleTaskRelease = idleTaskRelease
        }

        /// The defaults (cannot fail).
        public init() {
            // The defaults are valid by construction.
            try! self.init(threads: Configuration.defaultThreads)
        }

        /// One thread per core.
        public static var defaultThreads: Int { max(1, systemCoreCount()) }

        /// Writes `level: message` to standard error.
        public static let standardError: @Sendable (LogLevel, String) -> Void = { level, message in
            writeToStandardError("troupe \(level): \(message)\n")
        }
    }
}
