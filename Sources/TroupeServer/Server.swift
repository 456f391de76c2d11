import CEpoll
import Glibc
import Troupe
public import TroupeBackend

/// The TCP front of PROTOCOL.md: a Redis-compatible listener whose event loops turn bytes
/// into the backend's commands and its replies and pushes into bytes.
///
/// ```swift
/// let backend = try await Backend.start(backendConfiguration)
/// let server = try await Server.start(ServerConfiguration(), backend: backend)
/// // ... until SIGTERM
/// await server.shutdown(deadline: .seconds(10))
/// await backend.shutdown(deadline: .seconds(10))
/// ```
///
/// ```
///  clients ──TCP──▶ loop thread 0..n-1 (epoll, owns its connections)
///                      │ PING HEALTH HELLO QUIT, errors: answered on the loop
///                      │ other commands ──trySend──▶ /root/front/dispatch-i (actor)
///                      │                                │ backend.execute (owned background task)
///                      ◀── inbox + eventfd ─────────────┘ outcome;  bus ──▶ outbox (pushes)
/// ```
///
/// # Concurrency contract
/// `Sendable`. The loops run on threads the server owns (never Swift's cooperative pool);
/// each connection's state belongs to its loop thread. Call ``shutdown(deadline:)`` once
/// before shutting the backend down (a second call waits for the first). One server per
/// backend: its dispatchers live under the backend's root as `front`.
public final class Server: Sendable {
    private let shared: ServerShared
    private let inboxes: [LoopInbox]
    private let threads: [RuntimeThread]
    /// The bound port (the ephemeral one the system chose when the configuration said 0).
    public let port: Int

    private init(shared: ServerShared, inboxes: [LoopInbox], threads: [RuntimeThread], port: Int) {
        self.shared = shared
        self.inboxes = inboxes
        self.threads = threads
        self.port = port
    }

    /// The name of the front's subtree under the backend's root.
    public static let frontName = "front"

    /// Starts listening and the loop threads over `backend`, which must be started already.
    /// Places the dispatcher actors (one per loop) under the backend's root as `front`.
    ///
    /// - Throws: ``ServerError`` for a bad setting, an address in use or another socket
    ///   failure, or a backend that is shutting down.
    public static func start(_ configuration: ServerConfiguration, backend: Backend) async throws(ServerError) -> Server {
        do {
            try configuration.validate()
        } catch {
            throw .invalidConfiguration("\(error)")
        }
        // Once per process: a write to a closed socket must be an error, not a signal.
        cepoll_ignore_sigpipe()
        let (listenFD, port) = try Listener.open(host: configuration.host, port: configuration.port)
        var epolls: [Int32] = []
        var inboxes: [LoopInbox] = []
        func cleanUp() {
            for fd in epolls { Glibc.close(fd) }
            Glibc.close(listenFD)
        }
        for _ in 0..<configuration.loopThreads {
            let epollFD = cepoll_create()
            let eventFD = cepoll_eventfd()
            guard epollFD >= 0, eventFD >= 0 else {
                let reason = Listener.reason(errno)
                if epollFD >= 0 { Glibc.close(epollFD) }
                if eventFD >= 0 { Glibc.close(eventFD) }
                cleanUp()
                throw .socket(call: "epoll_create1/eventfd", address: "\(configuration.host):\(port)", reason: reason)
            }
            epolls.append(epollFD)
            inboxes.append(LoopInbox(eventFD: eventFD))
            _ = cepoll_ctl(epollFD, 0, listenFD, cepoll_in, EventLoop.listenerToken)
            _ = cepoll_ctl(epollFD, 0, eventFD, cepoll_in, EventLoop.wakeToken)
        }
        let dispatchers = inboxes.map { _ in ChildRef<Dispatcher.Message>() }
        do {
            let mailbox = try MailboxConfiguration(capacity: configuration.dispatcherMailboxCapacity, overflow: .fail)
            let children = try zip(dispatchers, inboxes).enumerated().map { index, pair in
                let inbox = pair.1
                return try pair.0.childSpec("dispatch-\(index)", mailbox: mailbox) { Dispatcher(backend: backend, inbox: inbox) }
            }
            try await backend.system.start(.supervisor(frontName, SupervisorSpec(strategy: .oneForOne, children: children)))
        } catch {
            cleanUp()
            throw .backendUnavailable("\(error)")
        }
        let shared = ServerShared(configuration: configuration, backend: backend, listenFD: listenFD)
        let counters = shared.counters
        backend.addStatsSource { counters.statsLines }
        var threads: [RuntimeThread] = []
        for index in 0..<configuration.loopThreads {
            let (inbox, dispatcher, epollFD) = (inboxes[index], dispatchers[index], epolls[index])
            threads.append(RuntimeThread.start(name: "troupe-loop-\(index)") {
                EventLoop(shared: shared, inbox: inbox, dispatcher: dispatcher, epollFD: epollFD).run()
                shared.loopExited()
            })
        }
        return Server(shared: shared, inboxes: inboxes, threads: threads, port: port)
    }

    /// Stops accepting, answers `-SHUTDOWN` to new requests, lets requests already taken
    /// finish and their replies flush until `deadline`, closes every connection, ends the
    /// loop threads and the dispatchers. Then the caller shuts the backend down.
    public func shutdown(deadline: Duration) async {
        let until = monotonicNanoseconds() &+ EventLoop.nanoseconds(deadline)
        guard shared.beginDrain(deadline: until < 0 ? Int64.max : until) else {
            _ = await shared.allExited.wait()
            return
        }
        for inbox in inboxes { inbox.wake() }
        _ = await shared.allExited.wait()
        // Each loop completed `allExited` as the last act of its thread, so these joins
        // return at once: no cooperative thread is held while a loop still runs.
        for thread in threads { thread.join() }
        Glibc.close(shared.listenFD)
        for connection in shared.takeLeftovers() { await shared.backend.disconnect(connection) }
        _ = await shared.backend.system.stop(childNamed: Self.frontName)
    }

    /// The front's counters now.
    public var metrics: ServerMetrics { shared.counters.snapshot }
}
