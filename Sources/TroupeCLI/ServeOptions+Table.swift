import Troupe
import TroupeBackend

extension ServeOptions {
    /// The flag table of `troupe serve`, in `--help` order: the front, storage and accounts,
    /// the rate limits, then the actors' bounds. Every bound is written in the row's help.
    static let table: [ServeOption] = [
        // MARK: The front
        ServeOption("host", placeholder: "HOST", help: "Address to listen on.", show: { $0.server.host }) { options, text throws(ValueError) in
            options.server.host = try ValueParser.host(text)
        },
        ServeOption("port", placeholder: "PORT", help: "TCP port (0 to 65535; 0: any free port).", show: { "\($0.server.port)" }) {
            options, text throws(ValueError) in
            options.server.port = try ValueParser.port(text)
        },
        .integer("loop-threads", "Event-loop threads", 1...64, \.server.loopThreads),
        .integer("max-connections", "Most connections at once", 1...1_000_000, \.server.maxConnections),
        .duration("anonymous-idle-timeout", "Close a connection that never logged in after this long without a request.", \.server.anonymousIdleTimeout),
        .bytes("outbound-soft-limit", "Drop pushes to a connection with more than this queued (1KiB to 1GiB).", 1_024...(1 << 30), \.server.outboundSoftLimit),
        .bytes("outbound-hard-limit", "Close a connection with more than this queued (1KiB to 1GiB).", 1_024...(1 << 30), \.server.outboundHardLimit),
        .bytes("max-inline-bytes", "Longest inline request line (64 to 16MiB).", 64...(16 << 20), \.server.maxInlineLineBytes),
        .bytes("max-bulk-bytes", "Longest bulk string of a request (64 to 512MiB).", 64...(512 << 20), \.server.maxBulkBytes),
        .integer("max-multibulk-count", "Most arguments of one request", 1...1_000_000, \.server.maxMultibulkCount),
        .integer("max-pipelined", "Requests of one connection in flight before it is no longer read", 1...65_536, \.server.maxPipelined),
        .duration(
            "shutdown-deadline", "On SIGINT/SIGTERM, how long in-flight requests may take (1ms to 1h).", \.server.shutdownDeadline,
            .milliseconds(1)...(.seconds(3_600))
        ),

        // MARK: Storage, accounts, operations
        ServeOption(
            "db", placeholder: "DATABASE", help: "sqlite:PATH, or a postgres:// or postgresql:// URL (its password is never logged).",
            show: { ValueParser.redacted($0.backend.database) }
        ) { options, text throws(ValueError) in
            options.backend.database = try ValueParser.database(text)
        },
        ServeOption(
            "admin", placeholder: "NAME", help: "An admin user name, created at start if missing; the variable takes names separated by commas.",
            environment: "TROUPE_ADMINS", repeatable: true, show: { _ in nil }
        ) { options, text throws(ValueError) in
            guard let name = UserName(text.utf8) else { throw ValueError("expected a user name of 1 to 32 letters, digits or _") }
            if !options.backend.admins.contains(name) { options.backend.admins.append(name) }
        },
        ServeOption("tree", placeholder: "FILE", help: "Progression tree file (at most 1MiB; see Documentation/Backend.md).", show: { $0.treePath ?? "the standard tree" }) {
            options, text throws(ValueError) in
            guard !text.isEmpty else { throw ValueError("expected a file path") }
            options.treePath = text
        },
        ServeOption("fault-injection", placeholder: nil, help: "Let admins inject faults with CRASH.", show: { "\($0.backend.faultInjection)" }) {
            options, text throws(ValueError) in
            options.backend.faultInjection = try ValueParser.boolean(text)
        },
        ServeOption("log-level", placeholder: "LEVEL", help: "Least severe level logged: debug, info, warning or error.", show: { "\($0.backend.logLevel)" }) {
            options, text throws(ValueError) in
            options.backend.logLevel = try ValueParser.logLevel(text)
        },
        ServeOption("node-id", placeholder: "ID", help: "This node's id, as HELLO reports it (1 to 64 bytes, no spaces).", show: { $0.backend.nodeID }) {
            options, text throws(ValueError) in
            guard (1...64).contains(text.utf8.count), !text.contains(where: { $0.isWhitespace || $0.isNewline }) else {
                throw ValueError("expected 1 to 64 bytes without spaces")
            }
            options.backend.nodeID = text
        },
        .integer("threads", "Executor threads of the actor system", 1...1_024, \.backend.threads),
        .integer("password-cost", "yescrypt's cost; each step doubles the work of a login", 1...11, \.backend.passwordCost),
        .integer("kdf-threads", "Threads that hash passwords", 1...256, \.backend.kdfThreads),
        .integer("kdf-queue", "Password hashes that may wait for a KDF thread", 1...1_000_000, \.backend.kdfQueueCapacity),
        .duration("token-lifetime", "How long a login token stays valid (1s to 100 years).", \.backend.tokenLifetime, .seconds(1)...ValueParser.longestDuration),
        .duration("request-timeout", "The deadline of every request (1ms to 1h).", \.backend.requestTimeout, .milliseconds(1)...(.seconds(3_600))),
        .duration("voting-duration", "How long a voting session stays open (1s to 100 years).", \.backend.votingDuration, .seconds(1)...ValueParser.longestDuration),
        .duration("health-interval", "How often storage health is probed.", \.backend.healthInterval),

        // MARK: Rate limits
        .rate("user-rate", "SAY, DM, ENGAGE and VOTE per user: N/s, N/m, N/h or N/<duration>.", \.backend.userRate),
        .burst("user-burst", "Largest burst of those per user", \.backend.userRate),
        .rate("global-rate", "The same commands for the whole server.", \.backend.globalRate),
        .burst("global-burst", "Largest burst of those for the whole server", \.backend.globalRate),
        .rate("failed-login-rate", "Failed LOGIN/AUTH per user name, refilling at this rate.", \.backend.failedLogins),
        .burst("failed-login-burst", "Failed LOGIN/AUTH per user name before -BUSY", \.backend.failedLogins),

        // MARK: Actors
        .integer("mailbox-capacity", "Requests waiting in one actor's mailbox before -BUSY", 1...1_000_000, \.backend.mailboxCapacity),
        .integer("max-sessions", "Most logged-in users at once", 1...10_000_000, \.backend.maxSessions),
        .duration("session-idle-timeout", "Stop a session with no connection after this long.", \.backend.sessionIdleTimeout),
        .integer("max-rooms", "Most room actors at once", 1...10_000_000, \.backend.maxRooms),
        .duration("room-idle-timeout", "Stop a room with no request after this long.", \.backend.roomIdleTimeout),
        .integer("max-rooms-per-connection", "Rooms one connection may have joined", 1...1_000_000, \.backend.maxRoomsPerConnection),
        .integer("max-caches", "Most per-user DM cache actors at once", 1...10_000_000, \.backend.maxCaches),
        .duration("cache-ttl", "How long a user's DM conversations stay cached.", \.backend.cacheTTL),
    ]
}
