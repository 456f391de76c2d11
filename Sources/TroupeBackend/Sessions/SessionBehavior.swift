import Troupe

/// The session of one logged-in user (keyed actor `users/session/<user>`): the user's live
/// connections as push targets and each connection's joined rooms.
///
/// It owns the bus subscriptions of its connections: each attached connection's sink is
/// subscribed to the user's own topic (DMs), to `everyone` (unlocks, voting), and to every
/// room it joined. While it holds a connection it stays alive (never passivated or evicted
/// away); with none it is an ordinary idle keyed actor, passivated after its idle time, so a
/// user with no connection costs no memory.
///
/// When an incarnation ends for any reason (a crash included), it ends every subscription
/// it made and makes its connections anonymous: a session never leaves a subscription
/// behind that nothing owns. Those connections log in again (`RESUME`).
struct SessionBehavior: Behavior {
    typealias Message = SessionMessage

    struct Attached {
        let connection: BackendConnection
        let tokenHash: [UInt8]
        var subscriptions: [BusSubscription<PushTopic>]
        var rooms: [RoomName: BusSubscription<PushTopic>] = [:]

        var allSubscriptions: [BusSubscription<PushTopic>] { subscriptions + Array(rooms.values) }
    }

    let user: UserName
    let bus: EventBus<PushTopic, Push>
    var attached: [UInt64: Attached] = [:]

    mutating func receive(_ message: SessionMessage, context: ActorContext<SessionMessage>) async throws {
        switch message {
        case .attach(let connection, let reply):
            await attach(connection, reply: reply, context: context)
        case .detach(let connectionID, let reply):
            if let gone = attached.removeValue(forKey: connectionID) {
                await unsubscribe(gone.allSubscriptions)
            }
            updatePin(context)
            reply.reply(())
        case .join(let connectionID, let room, let reply):
            guard var entry = attached[connectionID] else { return reply.fail(ErrorReply.noauth) }
            if entry.rooms[room] == nil {
                do {
                    entry.rooms[room] = try await bus.subscribe(sink: entry.connection.sink, to: .room(room))
                } catch {
                    return reply.fail(ErrorReply(.unavailable, "push delivery unavailable: \(error)"))
                }
                attached[connectionID] = entry
            }
            reply.reply(())
        case .leave(let connectionID, let room, let reply):
            if let subscription = attached[connectionID]?.rooms.removeValue(forKey: room) {
                await unsubscribe([subscription])
            }
            reply.reply(())
        case .revoke(let tokenHash, let reply):
            let revoked = attached.filter { $0.value.tokenHash == tokenHash }
            for (id, entry) in revoked {
                attached.removeValue(forKey: id)
                entry.connection.unbind(ifBoundTo: tokenHash)
            }
            await unsubscribe(revoked.values.flatMap(\.allSubscriptions))
            updatePin(context)
            reply.reply(())
        case .connections(let reply):
            reply.reply(attached.count)
        }
    }

    private nonisolated(nonsending) mutating func attach(_ connection: BackendConnection, reply: ReplyTo<Void>, context: ActorContext<SessionMessage>) async {
        guard let login = connection.login, login.user == user else {
            // Logged out or rebound before this request arrived: nothing to attach.
            return reply.reply(())
        }
        if let previous = attached[connection.id] {
            // Logged in again as the same user: the new token, the same joins.
            attached[connection.id] = Attached(
                connection: connection, tokenHash: login.tokenHash, subscriptions: previous.subscriptions, rooms: previous.rooms
            )
            return reply.reply(())
        }
        do {
            let own = try await bus.subscribe(sink: connection.sink, to: .user(user))
            let everyone = try await bus.subscribe(sink: connection.sink, to: .everyone)
            attached[connection.id] = Attached(connection: connection, tokenHash: login.tokenHash, subscriptions: [own, everyone])
            updatePin(context)
            reply.reply(())
        } catch {
            reply.fail(ErrorReply(.unavailable, "push delivery unavailable: \(error)"))
        }
    }

    mutating func stopping(context: ActorContext<SessionMessage>) async {
        for entry in attached.values {
            entry.connection.unbind(ifBoundTo: entry.tokenHash)
        }
        await unsubscribe(attached.values.flatMap(\.allSubscriptions))
        attached.removeAll()
    }

    private func updatePin(_ context: ActorContext<SessionMessage>) {
        context.keepAlive(!attached.isEmpty)
    }

    private nonisolated(nonsending) func unsubscribe(_ subscriptions: [BusSubscription<PushTopic>]) async {
        guard !subscriptions.isEmpty else { return }
        // A bus that is down has already dropped every subscription (a restart ends them).
        _ = try? await bus.unsubscribe(subscriptions)
    }
}
