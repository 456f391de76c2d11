import Troupe
import TroupeStore

/// One user's cache (keyed actor `users/cache/<user>`): the pages of the user's DM
/// conversations that `DMS` read, each for the cache TTL.
///
/// Entries are addressed by the other participant (the owner in ``TTLCacheState``'s terms)
/// and the page size, inside the actor of the user they belong to: nothing of one user's
/// conversations is ever held by another user's cache. A DM invalidates exactly the two
/// participants' entries for each other (one message to each participant's cache). Loads
/// are single-flight and versioned by the state machine: a load that started before an
/// invalidation still answers the lookups that were waiting for it but is never stored, so
/// no lookup after the invalidation sees data from before it.
///
/// Loads run as the actor's background work (the actor goes on answering hits meanwhile);
/// each is bounded by the pool's deadline and the database's statement timeout. Memory: at
/// most ``BackendConfiguration/cacheEntriesPerUser`` pages (least recently used evicted;
/// an expired page is dropped when next looked up), and the whole actor is passivated after
/// ``BackendConfiguration/cacheIdleTimeout``.
struct CacheBehavior: Behavior {
    typealias Message = CacheMessage

    /// The cache's state, behind one reference: the behavior value is copied into the
    /// actor's task frames, and a per-user actor should carry a pointer there, not the state.
    final class Storage {
        var state: TTLCacheState<UserName, Int, [DirectRecord]>
        var waiters: [UInt64: [ReplyTo<[DirectRecord]>]] = [:]

        init(configuration: TTLCacheConfiguration) {
            state = TTLCacheState(configuration: configuration)
        }
    }

    let user: UserName
    let services: BackendServices
    let storage: Storage

    init(user: UserName, services: BackendServices) {
        self.user = user
        self.services = services
        self.storage = Storage(configuration: services.cacheConfiguration)
    }

    mutating func receive(_ message: CacheMessage, context: ActorContext<CacheMessage>) async throws {
        switch message {
        case .conversation(let userID, let other, let count, let reply):
            switch storage.state.lookup(count, owner: other, now: context.now) {
            case .hit(let page):
                services.counters.cacheHits.add(1, ordering: .relaxed)
                reply.reply(page)
            case .join(let version):
                services.counters.cacheMisses.add(1, ordering: .relaxed)
                storage.waiters[version, default: []].append(reply)
            case .load(let version):
                services.counters.cacheMisses.add(1, ordering: .relaxed)
                storage.waiters[version] = [reply]
                let pool = services.pool
                context.pipeToSelf({
                    // The partner's id and the page in one turn on a connection. A hit never
                    // reads the users table: a user who has a cached page exists.
                    let page = try await pool.withConnection { connection throws(DatabaseError) -> [DirectRecord]? in
                        guard let partner = try connection.queryFirst(BackendSQL.userByName, [.text(other.value)]) else { return nil }
                        let otherID = try partner.decode(Int64.self, at: 0)
                        let (low, high) = userID <= otherID ? (userID, otherID) : (otherID, userID)
                        let rows = try connection.query(Self.conversationSQL, [.integer(low), .integer(high), .integer(Int64(count))])
                        return try rows.reversed().map { row throws(DatabaseError) in
                            DirectRecord(
                                id: try row.decode(Int64.self, at: 0), from: try row.decode(String.self, at: 1),
                                to: try row.decode(String.self, at: 2), text: try row.decode([UInt8].self, at: 3),
                                at: try row.decode(Int64.self, at: 4)
                            )
                        }
                    }
                    guard let page else { throw ErrorReply(.notFound, "no such user '\(other)'") }
                    return page
                }, map: { .loaded(version: version, $0) })
            case .rejected(let error):
                reply.fail(ErrorReply.busy("cache overloaded: \(error)"))
            }
        case .invalidate(let other, let reply):
            _ = storage.state.invalidate(owner: other)
            reply.reply(())
        case .loaded(let version, let result):
            _ = storage.state.loaded(version: version, result, now: context.now)
            for reply in storage.waiters.removeValue(forKey: version) ?? [] {
                switch result {
                case .success(let page): reply.reply(page)
                case .failure(let error): reply.fail(error)
                }
            }
        case .metrics(let reply):
            reply.reply(storage.state.metrics)
        }
    }

    static let conversationSQL = """
        SELECT d.id, s.name, r.name, d.body, d.created_at FROM direct_messages d \
        JOIN users s ON s.id = d.sender_id JOIN users r ON r.id = d.recipient_id \
        WHERE d.user_low = $1 AND d.user_high = $2 ORDER BY d.id DESC LIMIT $3
        """
}
