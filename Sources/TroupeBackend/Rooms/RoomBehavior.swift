import Troupe
import TroupeStore

/// One room (keyed actor `rooms/<room>`): its recent messages in memory, and the order of
/// its messages.
///
/// Every `SAY` is persisted through the group-commit writer and acknowledged only after the
/// commit. The room keeps one write in flight: messages that arrive meanwhile wait and go
/// together in the next write (up to ``BackendConfiguration/roomWriteBatch``), so a busy
/// room writes as fast as the writer commits, and its ids increase in commit order (each
/// write inserts in arrival order, and the next write starts after the previous committed).
/// The room is not blocked while a write commits: `HISTORY` and new `SAY`s go on.
///
/// Memory: at most ``BackendConfiguration/roomPendingCapacity`` messages wait for the next
/// write (one more is `-BUSY`: it did not take effect), and at most
/// ``BackendConfiguration/roomRecentMessages`` are kept. `HISTORY` is
/// answered from memory when it covers the request, else from storage once (the tail is
/// then kept).
struct RoomBehavior: Behavior {
    typealias Message = RoomMessage

    struct Pending: Sendable {
        let user: UserName
        let userID: Int64
        let text: [UInt8]
        let at: Int64
        let reply: ReplyTo<Int64>
    }

    let room: RoomName
    let services: BackendServices
    var recent: RecentMessages
    /// True once `recent` holds the room's last messages up to its capacity (loaded from
    /// storage, or the room is known to have had no earlier messages).
    var tailLoaded = false
    var pending: [Pending] = []
    var writing = false

    init(room: RoomName, services: BackendServices) {
        self.room = room
        self.services = services
        self.recent = RecentMessages(capacity: services.configuration.roomRecentMessages)
    }

    mutating func receive(_ message: RoomMessage, context: ActorContext<RoomMessage>) async throws {
        switch message {
        case .say(let user, let userID, let text, let reply):
            guard pending.count < services.configuration.roomPendingCapacity else {
                return reply.fail(ErrorReply.busy("room '\(room)' is overloaded"))
            }
            pending.append(Pending(user: user, userID: userID, text: text, at: services.wallClock.unixMillis(), reply: reply))
            flush(context)
        case .history(let count, let reply):
            if tailLoaded || recent.count >= count {
                return reply.reply(recent.last(count))
            }
            do {
                try await loadTail()
                reply.reply(recent.last(count))
            } catch {
                reply.fail(error)
            }
        case .committed(let batch, let result):
            writing = false
            switch result {
            case .success(let ids):
                for (entry, id) in zip(batch, ids) {
                    let record = RoomRecord(id: id, room: room, user: entry.user.value, text: entry.text, at: entry.at)
                    recent.append(record)
                    services.publish(record.push, to: .room(room))
                    entry.reply.reply(id)
                }
            case .failure(let error):
                for entry in batch { entry.reply.fail(error) }
            }
            flush(context)
        }
    }

    /// Starts the next write if none is in flight.
    private mutating func flush(_ context: ActorContext<RoomMessage>) {
        guard !writing, !pending.isEmpty else { return }
        let size = min(pending.count, services.configuration.roomWriteBatch)
        let batch = Array(pending.prefix(size))
        pending.removeFirst(size)
        writing = true
        let room = self.room.value
        let rows = batch.map { entry in [DatabaseValue.text(room), .integer(entry.userID), .blob(entry.text), .integer(entry.at)] }
        let writer = services.writer
        context.pipeToSelf({
            try await writer.write { connection throws(DatabaseError) in
                var ids: [Int64] = []
                ids.reserveCapacity(rows.count)
                for row in rows {
                    guard let inserted = try connection.queryFirst(Self.insertSQL, row) else {
                        throw DatabaseError(.other, reason: "INSERT … RETURNING id returned no row")
                    }
                    ids.append(try inserted.decode(Int64.self, at: 0))
                }
                return ids
            }
        }, map: { .committed(batch, $0) })
    }

    /// Loads the room's last messages from storage, merging with what is in memory (a write
    /// in flight may land in both: ids keep one copy).
    private nonisolated(nonsending) mutating func loadTail() async throws {
        let rows = try await services.pool.query(Self.historySQL, [.text(room.value), .integer(Int64(recent.capacity))], idempotent: true)
        var loaded: [RoomRecord] = []
        for row in rows.reversed() {
            loaded.append(RoomRecord(
                id: try row.decode(Int64.self, at: 0), room: room, user: try row.decode(String.self, at: 2),
                text: try row.decode([UInt8].self, at: 3), at: try row.decode(Int64.self, at: 4)
            ))
        }
        recent.merge(loaded)
        tailLoaded = true
    }

    static let insertSQL = "INSERT INTO room_messages (room, user_id, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id"
    static let historySQL = """
        SELECT m.id, m.room, u.name, m.body, m.created_at FROM room_messages m JOIN users u ON u.id = m.user_id \
        WHERE m.room = $1 ORDER BY m.id DESC LIMIT $2
        """
}
