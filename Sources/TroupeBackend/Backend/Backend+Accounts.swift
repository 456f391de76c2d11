import Troupe
import TroupeStore

extension Backend {
    /// `REGISTER`: the password is hashed on the KDF threads (a full KDF queue is `-BUSY`),
    /// the account stored through the group-commit writer. Names are unique whatever their
    /// letter case (they are lower-cased on input); admin names are reserved.
    func register(_ user: UserName, password: [UInt8]) async throws {
        guard !configuration.admins.contains(user) else { throw ErrorReply(.conflict, "user name '\(user)' is taken") }
        let hasher = self.hasher
        let hash = try await kdf.run { try hasher.hash(password) }
        do {
            try await services.writer.execute(
                "INSERT INTO users (name, password_hash, is_admin, created_at) VALUES ($1, $2, FALSE, $3)",
                [.text(user.value), .text(hash), .integer(services.wallClock.unixMillis())]
            )
        } catch {
            guard error.kind == .uniqueViolation(constraint: "users_name_key") else { throw error }
            throw ErrorReply(.conflict, "user name '\(user)' is taken")
        }
    }

    /// `LOGIN`/`AUTH`/`HELLO … AUTH`: checks the password (the accounts actor throttles
    /// failures per name), stores a new token's hash, and binds the connection.
    func logIn(_ credentials: Command.Credentials, on connection: BackendConnection) async throws -> SessionToken {
        let account = try await accounts.ask { .verify(user: credentials.user, password: credentials.password, $0) }
        let token = try SessionToken.generate()
        let now = services.wallClock.unixMillis()
        try await services.writer.execute(
            "INSERT INTO auth_sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            [.blob(token.hash), .integer(account.id), .integer(now), .integer(now + CoordinatorBehavior.milliseconds(configuration.tokenLifetime))]
        )
        try await bind(connection, to: BackendConnection.Login(user: account.name, userID: account.id, isAdmin: account.isAdmin, tokenHash: token.hash))
        return token
    }

    /// `RESUME`: binds the connection to the user of a live token. Only the token's SHA-256
    /// is ever compared (a lookup by that hash), so timing says nothing about the token.
    func resume(_ token: [UInt8], on connection: BackendConnection) async throws {
        let hash = SessionToken.hash(of: token)
        let rows = try await services.pool.query(
            "SELECT s.user_id, u.name, u.is_admin FROM auth_sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2",
            [.blob(hash), .integer(services.wallClock.unixMillis())], idempotent: true
        )
        guard let row = rows.first, let user = UserName(try row.decode(String.self, at: 1)) else { throw ErrorReply.invalidToken }
        try await bind(connection, to: BackendConnection.Login(
            user: user, userID: try row.decode(Int64.self, at: 0), isAdmin: try row.decode(Bool.self, at: 2), tokenHash: hash
        ))
    }

    /// `LOGOUT`: revokes the connection's token (deleted from storage first, so it cannot be
    /// resumed), then every connection bound to it becomes anonymous and leaves its rooms.
    func logOut(_ login: BackendConnection.Login, on connection: BackendConnection) async throws {
        try await services.writer.execute("DELETE FROM auth_sessions WHERE token_hash = $1", [.blob(login.tokenHash)])
        services.bus.tryUnsubscribe(connection.unbind(ifBoundTo: login.tokenHash))
        try await sessions.ask(login.user) { .revoke(tokenHash: login.tokenHash, $0) }
    }

    /// Binds `connection` to `login`: a login as another user first drops the previous
    /// user's subscriptions (its joins) and leaves that user's session; a second login as the
    /// same user keeps its joins and binds the new token. Then the connection's sink is
    /// subscribed to the user's topic and `everyone` (if not yet) and the session learns of
    /// it. If the session cannot be told, the login is undone.
    private func bind(_ connection: BackendConnection, to login: BackendConnection.Login) async throws {
        let rebinding = connection.bind(login)
        guard rebinding.accepted else { throw ErrorReply.connectionClosed }
        services.bus.tryUnsubscribe(rebinding.released)
        if let previous = rebinding.previous, previous.user != login.user {
            // Best effort: a session that misses it forgets the connection at its next prune.
            _ = try? await sessions.ask(previous.user) { .detach(connectionID: connection.id, $0) }
        }
        do {
            try await subscribe(connection, to: [.user(login.user), .everyone], as: login.user)
            try await sessions.ask(login.user) { .attach(connection, $0) }
        } catch {
            services.bus.tryUnsubscribe(connection.unbind(ifBoundTo: login.tokenHash))
            throw error
        }
    }

    /// Subscribes the connection's sink to those of `topics` it lacks, and hands each
    /// subscription to the connection (the caller's task waits for the bus, so the session
    /// never has to). One the connection does not keep (rebound meanwhile, or already
    /// subscribed) is ended at once.
    ///
    /// - Returns: false if the connection is no longer logged in as `user`.
    @discardableResult
    func subscribe(_ connection: BackendConnection, to topics: [PushTopic], as user: UserName) async throws -> Bool {
        for topic in connection.missing(topics) {
            let subscription: BusSubscription<PushTopic>
            do {
                subscription = try await services.bus.subscribe(sink: connection.sink, to: topic)
            } catch {
                throw ErrorReply(.unavailable, "push delivery unavailable: \(error)")
            }
            switch connection.adopt(subscription, for: user) {
            case .adopted: continue
            case .duplicate: services.bus.tryUnsubscribe([subscription])
            case .notBound:
                services.bus.tryUnsubscribe([subscription])
                return false
            }
        }
        return true
    }
}
