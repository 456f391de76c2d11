import Troupe

/// One client connection as the backend sees it: who it is logged in as, which protocol
/// version it speaks, and where its pushes go. Made by ``Backend/connect(pushes:)``; the
/// front holds it for the connection's life and ends it with ``Backend/disconnect(_:)``.
///
/// # Concurrency contract
/// `Sendable`. Its state is behind a mutex; the backend changes the login binding (`LOGIN`,
/// `LOGOUT` on another connection, a session that ends) and the front reads it. One
/// connection's requests take effect in the order of its ``Backend/execute(_:on:)`` calls:
/// a call made while an earlier one on the same connection still runs waits for it, in
/// arrival order (at most ``maxQueuedRequests`` wait; one more is `-BUSY`).
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
        var protocolVersion = 2
        var running = false
        var waiting: [CheckedContinuation<Bool, Never>] = []
        var waitingHead = 0
        var closed = false
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

    /// Binds the connection to `login`; returns the previous binding.
    @discardableResult
    func bind(_ login: Login?) -> Login? {
        state.withLock { state in
            let previous = state.login
            state.login = login
            return previous
        }
    }

    /// Makes the connection anonymous if it is still bound to `tokenHash` (a later `LOGIN`
    /// on it keeps its new binding).
    func unbind(ifBoundTo tokenHash: [UInt8]) {
        state.withLock { state in
            if state.login?.tokenHash == tokenHash { state.login = nil }
        }
    }

    func close() {
        state.withLock { $0.closed = true }
    }

    // MARK: One request at a time

    /// Waits until no earlier request of this connection runs, then marks one running.
    /// False: too many requests already wait (the caller answers `-BUSY`).
    func beginRequest() async -> Bool {
        enum Entry { case run, refuse, wait }
        let entry: Entry = state.withLock { state in
            if !state.running {
                state.running = true
                return .run
            }
            return state.waiting.count - state.waitingHead >= Self.maxQueuedRequests ? .refuse : .wait
        }
        switch entry {
        case .run: return true
        case .refuse: return false
        case .wait:
            return await withCheckedContinuation { continuation in
                // Re-checked under the lock: the running request may have ended meanwhile.
                let runNow = state.withLock { state in
                    if !state.running {
                        state.running = true
                        return true
                    }
                    state.waiting.append(continuation)
                    return false
                }
                if runNow { continuation.resume(returning: true) }
            }
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
            // Stays running: the turn passes straight to the next request.
            return continuation
        }
        next?.resume(returning: true)
    }
}
