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
        connection.unbind(ifBoundTo: login.tokenHash)
        try await sessions.ask(login.user) { .revoke(tokenHash: login.tokenHash, $0) }
    }

    /// Binds `connection` to `login`. A login as another user first detaches it from the
    /// previous user's session (its joins are dropped); a second login as the same user
    /// keeps its joins and binds the new token.
    private func bind(_ connection: BackendConnection, to login: BackendConnection.Login) async throws {
        let previous = connection.bind(login)
        if let previous, previous.user != login.user {
            try await sessions.ask(previous.user) { .detach(connectionID: connection.id, $0) }
        }
        let subscriptions = try await subscribe(connection, to: [.user(login.user), .everyone])
        try await handOver(subscriptions) { () throws(AskError) in
            try await sessions.ask(login.user) { .attach(connection, subscriptions: subscriptions, $0) }
        }
    }

    /// Runs `ask`, which hands `subscriptions` to a session; if the session never got them
    /// (its mailbox was full, it had stopped), ends them here so none is left without owner.
    func handOver(_ subscriptions: [BusSubscription<PushTopic>], _ ask: () async throws(AskError) -> Void) async throws {
        do {
            try await ask()
        } catch {
            switch error {
            case .mailboxFull, .dropped, .stopped, .notPlaced: services.bus.tryUnsubscribe(subscriptions)
            case .timedOut, .noReply, .cancelled, .failed: break
            }
            throw error
        }
    }

    /// Subscribes the connection's sink to `topics` (the caller's task waits for the bus, so
    /// the session never has to). A session that does not keep them ends them.
    func subscribe(_ connection: BackendConnection, to topics: [PushTopic]) async throws -> [BusSubscription<PushTopic>] {
        var subscriptions: [BusSubscription<PushTopic>] = []
        do {
            for topic in topics { subscriptions.append(try await services.bus.subscribe(sink: connection.sink, to: topic)) }
            return subscriptions
        } catch {
            services.bus.tryUnsubscribe(subscriptions)
            throw ErrorReply(.unavailable, "push delivery unavailable: \(error)")
        }
    }
}
