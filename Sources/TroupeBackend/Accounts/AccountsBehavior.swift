import Troupe
import TroupeStore

/// The accounts actor (`services/accounts`): checks passwords and throttles failed logins
/// per user name.
///
/// A failed `LOGIN`/`AUTH` for a name is charged to that name's bucket (5, refilling at 5 a
/// minute by default); while the bucket is empty, logins for the name are refused even
/// with the right password. A success is not charged. Checks that are in flight count
/// against the bucket already, so a burst of concurrent guesses cannot exceed it either.
///
/// The password check (a user lookup and a yescrypt verification on the KDF threads) runs
/// as the actor's background work, so the actor itself never waits for a hash and goes on
/// admitting other names. An unknown name is checked against a dummy hash of the same cost,
/// so a wrong user and a wrong password take similar time and get the same reply.
///
/// Memory: at most ``BackendConfiguration/maxFailedLoginNames`` buckets (least recently
/// used forgotten) plus one counter per name with a check in flight.
struct AccountsBehavior: Behavior {
    typealias Message = AccountsMessage

    let services: BackendServices
    let kdf: BlockingPool<Void>
    let hasher: PasswordHasher
    var failures: RateLimiterState<UserName>
    /// Checks in flight per name (each counts as a failure until it is settled).
    var inFlight: [UserName: Int] = [:]

    init(services: BackendServices, kdf: BlockingPool<Void>, hasher: PasswordHasher, limits: RateLimiterConfiguration) {
        self.services = services
        self.kdf = kdf
        self.hasher = hasher
        self.failures = RateLimiterState(configuration: limits)
    }

    mutating func receive(_ message: AccountsMessage, context: ActorContext<AccountsMessage>) async throws {
        switch message {
        case .verify(let user, let password, let reply):
            let pending = inFlight[user, default: 0]
            if case .denied(let retryAfter) = failures.peek(user, cost: pending + 1, now: context.now) {
                services.counters.rateLimited.add(1, ordering: .relaxed)
                return reply.fail(ErrorReply.busy("too many failed logins for this user", retryAfter: retryAfter))
            }
            inFlight[user] = pending + 1
            let pool = services.pool
            let kdf = self.kdf
            let hasher = self.hasher
            context.pipeToSelf({
                let rows = try await pool.query(Self.userSQL, [.text(user.value)], idempotent: true)
                let row = rows.first
                let storedHash = try row?.decode(String.self, at: 1) ?? hasher.dummyHash
                let matches = try await kdf.run { hasher.verify(password, against: storedHash) }
                guard let row, matches else { return nil }
                return Account(id: try row.decode(Int64.self, at: 0), name: user, isAdmin: try row.decode(Bool.self, at: 2))
            }, map: { .verified(user: user, $0, reply) })
        case .verified(let user, let result, let reply):
            let pending = inFlight[user, default: 1] - 1
            inFlight[user] = pending > 0 ? pending : nil
            switch result {
            case .success(let account?):
                reply.reply(account)
            case .success(nil):
                _ = failures.check(user, now: context.now)
                services.counters.failedLogins.add(1, ordering: .relaxed)
                reply.fail(ErrorReply.invalidCredentials)
            case .failure(let error):
                // Storage or the KDF failed: the password was not checked, nothing is charged.
                reply.fail(error)
            }
        }
    }

    static let userSQL = "SELECT id, password_hash, is_admin FROM users WHERE name = $1"
}
