import Troupe

/// The session of one logged-in user (keyed actor `users/session/<user>`): the user's live
/// connections, as push targets, and through them each connection's joined rooms.
///
/// A connection owns its bus subscriptions (its user's topic, `everyone`, its rooms; see
/// ``BackendConnection``); the session knows which connections are the user's, so that a
/// `LOGOUT` reaches every connection bound to the token, and so that it stays alive while
/// it holds one (never passivated or evicted away: a session with no connection is an
/// ordinary idle keyed actor, passivated after its idle time, so a user with no connection
/// costs no memory).
///
/// Its handlers never wait, which keeps an idle session small (an actor's task keeps the
/// memory its deepest await chain needed). Its mailbox makes senders wait for room (up to
/// their ask deadline) rather than refuse: what it is told releases things, and must not
/// be lost to a full mailbox.
///
/// Robustness: a connection that closed or was rebound while its `detach` could not be
/// delivered (only an ask that timed out: senders wait for room) is forgotten at the
/// session's next message; until then it keeps the session pinned, which costs one idle
/// actor, never a subscription (the connection ended those itself). When an incarnation ends for
/// any reason (a crash included), it makes its connections anonymous and ends their
/// subscriptions: nothing is left that nothing owns. Those connections log in again
/// (`RESUME`).
struct SessionBehavior: SynchronousBehavior {
    typealias Message = SessionMessage

    struct Attached {
        let connection: BackendConnection
        var tokenHash: [UInt8]
    }

    /// Tokens revoked most recently, remembered so that a `RESUME` or `LOGIN` that read its
    /// token before the revocation but attaches after it is refused.
    static let rememberedRevocations = 16

    let user: UserName
    let bus: EventBus<PushTopic, Push>
    var attached: [UInt64: Attached] = [:]
    /// The last ``rememberedRevocations`` revoked token hashes, oldest first.
    var revoked: [[UInt8]] = []

    mutating func receiveSynchronously(_ message: SessionMessage, context: ActorContext<SessionMessage>) throws {
        // Each case updates the pin before it replies: once a caller hears back, the session
        // is pinned exactly while it has connections.
        switch message {
        case .attach(let connection, let reply):
            guard let login = connection.login, login.user == user, !connection.isClosed else {
                updatePin(context)
                return reply.reply(())
            }
            if revoked.contains(login.tokenHash) {
                // Its RESUME read the token before a LOGOUT deleted it: the LOGOUT wins.
                bus.tryUnsubscribe(connection.unbind(ifBoundTo: login.tokenHash))
                updatePin(context)
                return reply.fail(ErrorReply.invalidToken)
            }
            // A second login as the same user replaces the token, keeps the rest.
            attached[connection.id] = Attached(connection: connection, tokenHash: login.tokenHash)
            updatePin(context)
            reply.reply(())
        case .detach(let connectionID, let reply):
            attached.removeValue(forKey: connectionID)
            updatePin(context)
            reply.reply(())
        case .revoke(let tokenHash, let reply):
            revoked.append(tokenHash)
            if revoked.count > Self.rememberedRevocations { revoked.removeFirst() }
            for (id, entry) in attached where entry.tokenHash == tokenHash {
                attached.removeValue(forKey: id)
                bus.tryUnsubscribe(entry.connection.unbind(ifBoundTo: tokenHash))
            }
            updatePin(context)
            reply.reply(())
        case .connections(let reply):
            reply.reply(attached.count)
        }
    }

    mutating func stopping(context: ActorContext<SessionMessage>) async {
        for entry in attached.values {
            bus.tryUnsubscribe(entry.connection.unbind(ifBoundTo: entry.tokenHash))
        }
        attached.removeAll()
    }

    /// Pinned while it has connections; an ordinary idle actor without. Connections that
    /// closed or were rebound without telling it are forgotten first.
    private mutating func updatePin(_ context: ActorContext<SessionMessage>) {
        if attached.contains(where: { !$0.value.connection.isBound(to: user) }) {
            attached = attached.filter { $0.value.connection.isBound(to: user) }
        }
        context.keepAlive(!attached.isEmpty)
    }
}
