import Troupe

/// One client connection as the backend sees it: who it is logged in as, which protocol
/// version it speaks, where its pushes go, and the bus subscriptions of its sink (its user's
/// topic, `everyone`, and every room it joined). Made by ``Backend/connect(pushes:)``; the
/// front holds it for the connection's life and ends it with ``Backend/disconnect(_:)``.
///
/// The connection owns its subscriptions, so whoever changes its binding (a `LOGIN` as
/// another user, a `LOGOUT` on any connection of the token, a session that ends, a
/// disconnect) takes them out under its lock and ends them, and none is ever left behind.
///
/// # Concurrency contract
/// `Sendable`. Its state is behind a lock; the backend changes it and the front reads it.
/// One connection's requests take effect in the order of its ``Backend/execute(_:on:)``
/// calls: a call made while an earlier one on the same connection still runs waits for it,
/// in arrival order (at most ``maxQueuedRequests`` wait; one more is `-BUSY`).
public final class BackendConnection: Sendable {
    /// Unique for the life of the backend (never reused, unlike a file descriptor).
    public let id: UInt64
    /// Where the backend offers this connection's pushes; never waited on.
    let sink: any PushSink
    private let state = Locked(State())
    /// Requests of this connection that may wait behind a running one.
    public static let maxQueuedRequests = 4_096

    struct State {
        var login: Login?
        /// At most one per topic. An array, not a dictionary: a connection has a few (its
        /// user's topic, `everyone`, its rooms, at most ``BackendConfiguration/maxRoomsPerConnection``),
        /// and every idle user pays for it.
        var subscriptions: [BusSubscription<PushTopic>] = []
        var protocolVersion = 2
        var running = false
        var waiting: [CheckedContinuation<Bool, Never>] = []
        var waitingHead = 0
        var closed = false

        var waitingCount: Int { waiting.count - waitingHead }

        /// Makes the connection anonymous; returns the subscriptions to end.
        mutating func takeAll() -> [BusSubscription<PushTopic>] {
            login = nil
            defer { subscriptions = [] }
            return subscriptions
        }
    }

    /// Who a connection is logged in as.
    struct Login: Sendable, Hashable {
        let user: UserName
        let userID: Int64
        let isAdmin: Bool
        /// SHA-256 of the token this connection is bound to (`LOGOUT` revokes it).
        let tokenHash: [UInt8]
    }

    init(id: UInt64, sink: any PushSink) {
        self.id = id
        self.sink = sink
    }

    /// The logged-in user, or nil when anonymous.
    public var user: UserName? { state.withLock { $0.login?.user } }

    /// The RESP version this connection speaks (2, or 3 after `HELLO 3`).
    public var protocolVersion: Int { state.withLock { $0.protocolVersion } }

    var login: Login? { state.withLock { $0.login } }

    var isClosed: Bool { state.withLock { $0.closed } }

    func setProtocolVersion(_ version: Int) {
        state.withLock { $0.protocolVersion = version }
    }

    // MARK: Binding

    /// What ``bind(_:)`` did.
    struct Rebinding {
        /// False when the connection is closed: nothing changed.
        let accepted: Bool
        let previous: Login?
        /// Subscriptions of the previous user, to end (a login as another user drops them).
        let released: [BusSubscription<PushTopic>]
    }

    /// Binds the connection to `login`, unless it is closed. A login as another user takes
    /// out every subscription of the previous one (its joins are dropped); a login as the
    /// same user keeps them.
    func bind(_ login: Login) -> Rebinding {
        state.withLock { state in
            guard !state.closed else { return Rebinding(accepted: false, previous: nil, released: []) }
            let previous = state.login
            var released: [BusSubscription<PushTopic>] = []
            if let previous, previous.user != login.user { released = state.takeAll() }
            state.login = login
            return Rebinding(accepted: true, previous: previous, released: released)
        }
    }

    /// Makes the connection anonymous if it is still bound to `tokenHash` (a later `LOGIN`
    /// on it keeps its new binding); returns the subscriptions to end.
    func unbind(ifBoundTo tokenHash: [UInt8]) -> [BusSubscription<PushTopic>] {
        state.withLock { state in
            guard state.login?.tokenHash == tokenHash else { return [] }
            return state.takeAll()
        }
    }

    /// Closes the connection: it takes no more requests or bindings. Returns its login and
    /// the subscriptions to end.
    func close() -> (login: Login?, released: [BusSubscription<PushTopic>])? {
        state.withLock { state in
            guard !state.closed else { return nil }
            state.closed = true
            let login = state.login
            return (login, state.takeAll())
        }
    }

    /// Whether the connection, logged in as `user`, belongs to that user's session.
    func isBound(to user: UserName) -> Bool {
        state.withLock { !$0.closed && $0.login?.user == user }
    }

    // MARK: Subscriptions

    /// Rooms this connection has joined.
    var joinedRooms: Int {
        state.withLock { state in state.subscriptions.count { if case .room = $0.topic { true } else { false } } }
    }

    /// The topics of `topics` this connection is not subscribed to yet.
    func missing(_ topics: [PushTopic]) -> [PushTopic] {
        state.withLock { state in topics.filter { topic in !state.subscriptions.contains { $0.topic == topic } } }
    }

    /// What ``adopt(_:for:)`` did with a subscription.
    enum Adoption {
        /// Kept: the connection is subscribed to its topic from now on.
        case adopted
        /// Not kept (end it): the connection already had one for the topic.
        case duplicate
        /// Not kept (end it): the connection is no longer logged in as that user, or closed.
        case notBound
    }

    /// Keeps `subscription` (made for this connection's sink) if the connection is still
    /// logged in as `user` and has none for its topic yet.
    func adopt(_ subscription: BusSubscription<PushTopic>, for user: UserName) -> Adoption {
        state.withLock { state in
            guard !state.closed, state.login?.user == user else { return .notBound }
            guard !state.subscriptions.contains(where: { $0.topic == subscription.topic }) else { return .duplicate }
            state.subscriptions.append(subscription)
            return .adopted
        }
    }

    /// Takes out the subscription to `topic` (`LEAVE`), to end it.
    func drop(_ topic: PushTopic) -> BusSubscription<PushTopic>? {
        state.withLock { state in
            guard let index = state.subscriptions.firstIndex(where: { $0.topic == topic }) else { return nil }
            return state.subscriptions.remove(at: index)
        }
    }

    // MARK: One request at a time

    /// Waits until no earlier request of this connection runs, then marks one running.
    /// False: too many requests already wait (the caller answers `-BUSY`).
    func beginRequest() async -> Bool {
        let runNow: Bool? = state.withLock { state in
            if !state.running {
                state.running = true
                return true
            }
            return state.waitingCount >= Self.maxQueuedRequests ? false : nil
        }
        if let runNow { return runNow }
        return await withCheckedContinuation { continuation in
            // Re-checked under the lock: the running request may have ended meanwhile, and
            // other callers may have filled the queue.
            let outcome: Bool? = state.withLock { state in
                if !state.running {
                    state.running = true
                    return true
                }
                guard state.waitingCount < Self.maxQueuedRequests else { return false }
                state.waiting.append(continuation)
                return nil
            }
            if let outcome { continuation.resume(returning: outcome) }
        }
    }

    /// Ends the running request and lets the next waiting one run (resumed outside the lock).
    func endRequest() {
        let next: CheckedContinuation<Bool, Never>? = state.withLock { state in
            guard state.waitingHead < state.waiting.count else {
                state.running = false
                state.waiting.removeAll(keepingCapacity: state.waiting.count <= 16)
                state.waitingHead = 0
                return nil
            }
            let continuation = state.waiting[state.waitingHead]
            state.waitingHead += 1
            // Compact once the consumed prefix is half the array, so a queue that never
            // empties stays within its bound.
            if state.waitingHead > 64, state.waitingHead * 2 > state.waiting.count {
                state.waiting.removeFirst(state.waitingHead)
                state.waitingHead = 0
            }
            // Stays running: the turn passes straight to the next request.
            return continuation
        }
        next?.resume(returning: true)
    }
}
