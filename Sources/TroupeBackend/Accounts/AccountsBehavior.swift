import Troupe
import TroupeStore

/// The accounts actor (`services/accounts`): checks passwords and throttles failed logins
/// per user name.
///
/// A failed `LOGIN`/`AUTH` for a name is charged to that name's bucket (5, refilling at 5 a
/// minute by default); while the bucket is empty, logins for the name are refused even
/// with the right password. A success is not charged.
///
/// Checks in flight count against the bucket already: at most as many checks of a name run
/// at once as its bucket holds tokens, so a burst of concurrent guesses cannot exceed it
/// either. A request that finds the bucket not empty but its tokens all spoken for by
/// checks in flight is parked in the name's FIFO rather than refused (50 concurrent right
/// passwords for one name all succeed); each settled check starts as many parked ones as
/// the bucket then allows, and if the bucket became empty, fails the parked ones with the
/// same `-BUSY` as a request that finds it empty. Whenever a name has parked requests it
/// has a check in flight, so every parked request is reconsidered.
///
/// Bounds: at most ``maxParkedPerName`` (64) requests parked per name and
/// ``maxParkedTotal`` (1,024) in all; one more is refused at once with
/// `-BUSY too many logins in progress for this user`.
///
/// The password check (a user lookup and a yescrypt verification on the KDF threads) runs
/// as the actor's background work, so the actor itself never waits for a hash and goes on
/// admitting other names. An unknown name is checked against a dummy hash of the same cost,
/// so a wrong user and a wrong password take similar time and get the same reply.
///
/// Memory: at most ``BackendConfiguration/maxFailedLoginNames`` buckets (least recently
/// used forgotten) plus one counter per name with a check in flight, plus at most
/// ``maxParkedTotal`` parked requests (each holds its password, at most 128 bytes).
struct AccountsBehavior: Behavior {
    typealias Message = AccountsMessage

    let services: BackendServices
    let kdf: BlockingPool<Void>
    let hasher: PasswordHasher
    var failures: RateLimiterState<UserName>
    /// Checks in flight per name (each counts as a failure until it is settled).
    var inFlight: [UserName: Int] = [:]
    /// Requests waiting for a name's checks in flight to settle, oldest first. A name is
    /// present only with a non-empty queue, and then also in `inFlight`.
    var parked: [UserName: [Parked]] = [:]
    /// Requests in `parked`, over all names (at most ``maxParkedTotal``).
    var parkedTotal = 0

    /// Requests parked per name at most; one more is refused with `-BUSY`.
    static let maxParkedPerName = 64
    /// Requests parked over all names at most; one more is refused with `-BUSY`.
    static let maxParkedTotal = 1_024

    /// A `verify` request waiting for its turn.
    struct Parked {
        let password: [UInt8]
        let reply: ReplyTo<Account>
    }

    init(services: BackendServices, kdf: BlockingPool<Void>, hasher: PasswordHasher, limits: RateLimiterConfiguration) {
        self.services = services
        self.kdf = kdf
        self.hasher = hasher
        self.failures = RateLimiterState(configuration: limits)
    }

    mutating func receive(_ message: AccountsMessage, context: ActorContext<AccountsMessage>) async throws {
        switch message {
        case .verify(let user, let password, let reply):
            // The bucket itself is empty: refused, as before any check.
            if case .denied(let retryAfter) = failures.peek(user, cost: 1, now: context.now) {
                services.counters.rateLimited.add(1, ordering: .relaxed)
                return reply.fail(Self.tooManyFailures(retryAfter))
            }
            let pending = inFlight[user, default: 0]
            if parked[user] == nil, failures.peek(user, cost: pending + 1, now: context.now).isAllowed {
                return start(user, password: password, reply: reply, context: context)
            }
            // The bucket has tokens but the checks in flight may use them all: wait for them.
            guard parked[user, default: []].count < Self.maxParkedPerName, parkedTotal < Self.maxParkedTotal else {
                services.counters.rateLimited.add(1, ordering: .relaxed)
                return reply.fail(ErrorReply.busy("too many logins in progress for this user"))
            }
            parked[user, default: []].append(Parked(password: password, reply: reply))
            parkedTotal += 1
            // The bucket may have refilled since the last check settled.
            startParked(user, context: context)
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
            startParked(user, context: context)
        }
    }

    /// Starts `user`'s parked requests, oldest first, while the bucket holds a token for
    /// each check in flight plus the next; if the bucket is empty, fails the rest with
    /// `-BUSY`. Either the queue ends empty or a check of `user` is still in flight (the
    /// bucket has a token, so only checks in flight can have stopped the next one).
    private mutating func startParked(_ user: UserName, context: ActorContext<AccountsMessage>) {
        guard var queue = parked.removeValue(forKey: user) else { return }
        var started = 0
        while started < queue.count,
              failures.peek(user, cost: inFlight[user, default: 0] + 1, now: context.now).isAllowed {
            let next = queue[started]
            start(user, password: next.password, reply: next.reply, context: context)
            started += 1
        }
        queue.removeFirst(started)
        parkedTotal -= started
        if !queue.isEmpty, case .denied(let retryAfter) = failures.peek(user, cost: 1, now: context.now) {
            services.counters.rateLimited.add(queue.count, ordering: .relaxed)
            for request in queue { request.reply.fail(Self.tooManyFailures(retryAfter)) }
            parkedTotal -= queue.count
            queue.removeAll()
        }
        if !queue.isEmpty { parked[user] = queue }
    }

    /// Counts a check of `user` in flight and runs it in the background: the user lookup,
    /// then the KDF; its outcome comes back as `.verified`.
    private mutating func start(_ user: UserName, password: [UInt8], reply: ReplyTo<Account>, context: ActorContext<AccountsMessage>) {
        inFlight[user, default: 0] += 1
        let pool = services.pool
        let kdf = self.kdf
        let hasher = self.hasher
        context.pipeToSelf({
            let rows = try await pool.query(BackendSQL.userByName, [.text(user.value)], idempotent: true)
            let row = rows.first
            let storedHash = try row?.decode(String.self, at: 1) ?? hasher.dummyHash
            let matches = try await kdf.run { hasher.verify(password, against: storedHash) }
            guard let row, matches else { return nil }
            return Account(id: try row.decode(Int64.self, at: 0), name: user, isAdmin: try row.decode(Bool.self, at: 2))
        }, map: { .verified(user: user, $0, reply) })
    }

    /// The refusal while `user`'s failed-login bucket is empty.
    static func tooManyFailures(_ retryAfter: Duration?) -> ErrorReply {
        ErrorReply.busy("too many failed logins for this user", retryAfter: retryAfter)
    }

}
