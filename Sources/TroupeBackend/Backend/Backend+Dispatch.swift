import Troupe
import TroupeStore

extension Backend {
    /// Routes one command to its owner. Anonymous commands first; every other command
    /// needs a login, and admin commands an admin.
    func dispatch(_ command: Command, on connection: BackendConnection) async throws -> Reply {
        switch command {
        case .ping(let message):
            return message.map { .bulk($0) } ?? .simple("PONG")
        case .health:
            if case .unavailable(let why) = health { throw ErrorReply(.unavailable, why) }
            return .ok
        case .hello(let version, let auth):
            if let auth { _ = try await logIn(auth, on: connection) }
            if let version { connection.setProtocolVersion(version) }
            return helloReply(protocolVersion: connection.protocolVersion)
        case .quit:
            return .ok
        case .register(let user, let password):
            try await register(user, password: password)
            return .ok
        case .login(let credentials):
            return .bulk(try await logIn(credentials, on: connection).text)
        case .auth(let credentials):
            _ = try await logIn(credentials, on: connection)
            return .ok
        case .resume(let token):
            try await resume(token, on: connection)
            return .ok
        case .whoami:
            return connection.user.map { .bulk($0.value) } ?? .null
        default:
            break
        }
        guard let login = connection.login else { throw ErrorReply.noauth }
        if command.isAdminOnly, !login.isAdmin { throw ErrorReply.adminOnly }
        switch command {
        case .logout:
            try await logOut(login, on: connection)
            return .ok
        case .join(let room):
            let limit = configuration.maxRoomsPerConnection
            if !connection.missing([.room(room)]).isEmpty, connection.joinedRooms >= limit {
                throw ErrorReply(.tooLarge, "a connection may join at most \(limit) rooms")
            }
            guard try await subscribe(connection, to: [.room(room)], as: login.user) else { throw ErrorReply.noauth }
            return .ok
        case .leave(let room):
            if let subscription = connection.drop(.room(room)) { services.bus.tryUnsubscribe([subscription]) }
            return .ok
        case .say(let room, let text):
            try await charge(login.user)
            let id = try await rooms.ask(room) { .say(user: login.user, userID: login.userID, text: text, $0) }
            await creditMessage(by: login.userID)
            return .integer(id)
        case .history(let room, let count):
            guard count > 0 else { return .array([]) }
            return .array(try await rooms.ask(room) { .history(count: count, $0) }.map(\.reply))
        case .dm(let other, let text):
            try await charge(login.user)
            return .integer(try await sendDirect(from: login, to: other, text: text))
        case .dms(let other, let count):
            guard count > 0 else {
                _ = try await userID(of: other) // -NOTFOUND for an unknown user, as with a count
                return .array([])
            }
            let page = try await caches.ask(login.user) { .conversation(userID: login.userID, other: other, count: count, $0) }
            return .array(page.map(\.reply))
        case .engage(let kind):
            try await charge(login.user)
            let points = try await weight(of: kind)
            return .integer(try await coordinator.ask { .credit(user: login.userID, kind: kind, points: points, $0) })
        case .progress:
            let snapshot = try await coordinator.ask { .progress(user: login.userID, $0) }
            return .map([
                .init("node", snapshot.node.map { .bulk($0.value) } ?? .null), .init("level", .int(snapshot.level)),
                .init("progress", .integer(snapshot.progress)), .init("cost", .integer(snapshot.cost)),
                .init("mine", .integer(snapshot.mine)), .init("voting", .integer(snapshot.voting ? 1 : 0)),
            ])
        case .unlocks:
            let rows = try await services.pool.query("SELECT node_id, level, unlocked_at FROM progression_unlocks ORDER BY id", [], idempotent: true)
            return .array(try rows.map { row throws(DatabaseError) in
                .array([.bulk(try row.decode(String.self, at: 0)), .integer(try row.decode(Int64.self, at: 1)), .integer(try row.decode(Int64.self, at: 2))])
            })
        case .vote(let node):
            try await charge(login.user)
            try await coordinator.ask { .vote(user: login.userID, node, $0) }
            return .ok
        case .stats:
            return .bulk(await statsText())
        case .metrics:
            return .bulk(await metricsText())
        case .tree:
            return .bulk(system.tree())
        case .weight(let kind, let points):
            try await services.writer.execute(
                """
                INSERT INTO engagement_weights (kind, points, updated_at) VALUES ($1, $2, $3) \
                ON CONFLICT (kind) DO UPDATE SET points = excluded.points, updated_at = excluded.updated_at
                """,
                [.text(kind.value), .integer(points), .integer(services.wallClock.unixMillis())]
            )
            try await weights.invalidate(Self.weightsKey, owner: Self.weightsKey)
            return .ok
        case .crash(let path):
            guard configuration.faultInjection else { throw ErrorReply(.denied, "fault injection is disabled (start the server with --fault-injection)") }
            guard let actorPath = ActorPath(path), system.injectFault(at: actorPath) else { throw ErrorReply(.notFound, "no actor at '\(path)'") }
            return .ok
        case .ping, .health, .hello, .quit, .register, .login, .auth, .resume, .whoami:
            return .null // answered above
        }
    }

    func helloReply(protocolVersion: Int) -> Reply {
        .map([
            .init("server", .bulk("troupe")), .init("version", .bulk(Self.version)), .init("proto", .int(protocolVersion)),
            .init("node", .bulk(configuration.nodeID)),
        ])
    }

    /// The server's version, as `HELLO` reports it.
    public static let version = "0.1.0"

    // MARK: Rate limits and weights

    /// Takes one token from `user`'s bucket and the global one, or throws `-BUSY`.
    func charge(_ user: UserName) async throws {
        do {
            if case .denied(let retryAfter) = try await limiter.check(user) {
                services.counters.rateLimited.add(1, ordering: .relaxed)
                throw ErrorReply.busy("rate limited", retryAfter: retryAfter)
            }
        } catch let error as RateLimiterError {
            if case .unavailable(let ask) = error { throw ErrorReply.ask(ask) }
            throw ErrorReply(.unavailable, "\(error)")
        }
    }

    static let weightsKey = "weights"

    /// The points of `kind`, through the weights cache: one load of the whole (small) table
    /// per TTL, shared by concurrent misses; unknown kinds weigh 0.
    func weight(of kind: EngagementKind) async throws -> Int64 {
        let pool = services.pool
        do {
            let table = try await weights.value(for: Self.weightsKey, owner: Self.weightsKey) {
                var table: [String: Int64] = [:]
                for row in try await pool.query("SELECT kind, points FROM engagement_weights", [], idempotent: true) {
                    table[try row.decode(String.self, at: 0)] = try row.decode(Int64.self, at: 1)
                }
                return table
            }
            return table[kind.value] ?? 0
        } catch {
            switch error {
            case .loadFailed(let cause): throw ErrorReply.from(cause)
            case .unavailable(let ask): throw ErrorReply.ask(ask)
            case .loadTimedOut: throw ErrorReply(.timeout, "engagement weights did not load in time")
            case .tooManyWaiters, .tooManyLoads: throw ErrorReply.busy("engagement weights are loading")
            case .notStarted: throw ErrorReply(.unavailable, "\(error)")
            }
        }
    }

    /// The `message` credit of a `SAY` or `DM`: told to the coordinator, not awaited (the
    /// message itself is what the reply acknowledges). A full coordinator loses the credit,
    /// never the message.
    func creditMessage(by user: Int64) async {
        guard let points = try? await weight(of: .message),
              coordinator.trySend(.credit(user: user, kind: .message, points: points, nil)) == .enqueued
        else {
            services.counters.creditsDropped.add(1, ordering: .relaxed)
            return
        }
    }

    // MARK: Direct messages

    func userID(of user: UserName) async throws -> Int64 {
        let rows = try await services.pool.query(BackendSQL.userByName, [.text(user.value)], idempotent: true)
        guard let row = rows.first else { throw ErrorReply(.notFound, "no such user '\(user)'") }
        return try row.decode(Int64.self, at: 0)
    }

    /// Stores a DM, then invalidates exactly the two participants' cached conversation with
    /// each other, pushes it to every connection of both, and credits the sender.
    func sendDirect(from sender: BackendConnection.Login, to other: UserName, text: [UInt8]) async throws -> Int64 {
        let otherID = try await userID(of: other)
        let now = services.wallClock.unixMillis()
        let (low, high) = sender.userID <= otherID ? (sender.userID, otherID) : (otherID, sender.userID)
        let id = try await services.writer.insert(
            "INSERT INTO direct_messages (sender_id, recipient_id, user_low, user_high, body, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            [.integer(sender.userID), .integer(otherID), .integer(low), .integer(high), .blob(text), .integer(now)]
        )
        // The DM is stored: from here on nothing fails the reply. An invalidation that cannot
        // be delivered (a full cache mailbox) is counted; that page then lives out its TTL.
        for (owner, partner) in other == sender.user ? [(other, other)] : [(sender.user, other), (other, sender.user)] {
            do {
                // Only a live cache holds pages: a cold one is neither created nor allowed to
                // evict a warm one (a cache made later loads after this commit anyway).
                _ = try await caches.askIfLive(owner) { .invalidate(other: partner, $0) }
            } catch {
                services.counters.invalidationsLost.add(1, ordering: .relaxed)
            }
        }
        let record = DirectRecord(id: id, from: sender.user.value, to: other.value, text: text, at: now)
        services.publish(record.push, to: .user(sender.user))
        if other != sender.user { services.publish(record.push, to: .user(other)) }
        await creditMessage(by: sender.userID)
        return id
    }
}
