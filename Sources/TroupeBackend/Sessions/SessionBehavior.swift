import Troupe

/// The session of one logged-in user (keyed actor `users/session/<user>`): the user's live
/// connections as push targets and each connection's joined rooms.
///
/// It owns the bus subscriptions of its connections: each attached connection's sink is
/// subscribed to the user's own topic (DMs), to `everyone` (unlocks, voting), and to every
/// room it joined. The caller makes a subscription before it asks (so the push path is in
/// place when the reply says so); the session keeps it, or ends it at once when it is not
/// wanted (the connection is no longer this user's, or already joined that room). Its
/// handlers never wait for anything, which keeps an idle session small: an actor's task
/// keeps the memory its deepest handler needed.
///
/// While it holds a connection it stays alive (never passivated or evicted away); with none
/// it is an ordinary idle keyed actor, passivated after its idle time, so a user with no
/// connection costs no memory.
///
/// When an incarnation ends for any reason (a crash included), it ends every subscription
/// it holds and makes its connections anonymous: a session never leaves a subscription
/// behind that nothing owns. Those connections log in again (`RESUME`).
struct SessionBehavior: Behavior {
    typealias Message = SessionMessage

    struct Attached {
        let connection: BackendConnection
        var tokenHash: [UInt8]
        let subscriptions: [BusSubscription<PushTopic>]
        var rooms: [RoomName: BusSubscription<PushTopic>] = [:]

        var allSubscriptions: [BusSubscription<PushTopic>] { subscriptions + Array(rooms.values) }
    }

    let user: UserName
    let bus: EventBus<PushTopic, Push>
    var attached: [UInt64: Attached] = [:]

    mutating func receive(_ message: SessionMessage, context: ActorContext<SessionMessage>) async throws {
        switch message {
        case .attach(let connection, let subscriptions, let reply):
            attach(connection, subscriptions, context)
            reply.reply(())
        case .detach(let connectionID, let reply):
            if let gone = attached.removeValue(forKey: connectionID) {
                bus.tryUnsubscribe(gone.allSubscriptions)
            }
            updatePin(context)
            reply.reply(())
        case .join(let connectionID, let room, let subscription, let reply):
            guard attached[connectionID] != nil else {
                bus.tryUnsubscribe([subscription])
                return reply.fail(ErrorReply.noauth)
            }
            if attached[connectionID]?.rooms[room] == nil {
                attached[connectionID]?.rooms[room] = subscription
            } else {
                bus.tryUnsubscribe([subscription])
            }
            reply.reply(())
        case .leave(let connectionID, let room, let reply):
            if let subscription = attached[connectionID]?.rooms.removeValue(forKey: room) {
                bus.tryUnsubscribe([subscription])
            }
            reply.reply(())
        case .revoke(let tokenHash, let reply):
            for (id, entry) in attached where entry.tokenHash == tokenHash {
                attached.removeValue(forKey: id)
                entry.connection.unbind(ifBoundTo: tokenHash)
                bus.tryUnsubscribe(entry.allSubscriptions)
            }
            updatePin(context)
            reply.reply(())
        case .connections(let reply):
            reply.reply(attached.count)
        }
    }

    private mutating func attach(_ connection: BackendConnection, _ subscriptions: [BusSubscription<PushTopic>], _ context: ActorContext<SessionMessage>) {
        guard let login = connection.login, login.user == user else {
            // Logged out or rebound before this request arrived: nothing to attach.
            return bus.tryUnsubscribe(subscriptions)
        }
        if attached[connection.id] != nil {
            // Logged in again as the same user: the new token, the same joins.
            attached[connection.id]?.tokenHash = login.tokenHash
            return bus.tryUnsubscribe(subscriptions)
        }
        attached[connection.id] = Attached(connection: connection, tokenHash: login.tokenHash, subscriptions: subscriptions)
        updatePin(context)
    }

    mutating func stopping(context: ActorContext<SessionMessage>) async {
        for entry in attached.values {
            entry.connection.unbind(ifBoundTo: entry.tokenHash)
            bus.tryUnsubscribe(entry.allSubscriptions)
        }
        attached.removeAll()
    }

    private func updatePin(_ context: ActorContext<SessionMessage>) {
        context.keepAlive(!attached.isEmpty)
    }
}
