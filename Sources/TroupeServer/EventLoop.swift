import CEpoll
import Glibc
import Troupe
import TroupeBackend
import TroupeWire

/// One event-loop thread: a level-triggered epoll set over the shared listening socket, its
/// eventfd, and the connections it accepted.
///
/// Each turn: wait for events (at most one second, so idle connections are swept once a
/// second), accept up to `acceptsPerTurn`, read at most `readChunk` from each readable
/// connection, parse and dispatch its requests, take what other threads posted (backend
/// outcomes, push notices), write at most `writeBudgetPerTurn` to each connection with
/// output, and register EPOLLOUT only while output is pending.
///
/// # Thread safety
/// An instance is made on its thread and used only there (it is not `Sendable`); everything
/// it shares is in ``ServerShared``, ``LoopInbox`` and each connection's outbox.
final class EventLoop {
    private let shared: ServerShared
    private let inbox: LoopInbox
    private let dispatcher: ChildRef<Dispatcher.Message>
    private let epollFD: Int32
    private let configuration: ServerConfiguration
    private var connections: [Int32: Connection] = [:]
    private var nextGeneration: UInt32 = 1
    private var listening = true
    /// Disconnects the dispatcher's full mailbox refused; retried every turn.
    private var pendingDisconnects: [BackendConnection] = []
    private var readBuffer: [UInt8]
    /// The backend's clock (injected in tests): idle times are measured on it, read once per
    /// turn into ``turnTime``. The shutdown deadline is on the monotonic clock.
    private let clock: any ActorClock
    private var turnTime: Duration
    private var lastSweep: Duration
    /// A descriptor held in reserve for refusing a client when the process has no other.
    private var spareFD: Int32 = EventLoop.openSpare()

    static let listenerToken: UInt64 = 0
    static let wakeToken: UInt64 = 1
    /// A connection stops being read while this much output is pending (four turns' worth of
    /// writes), so a slow reader's pipeline does not grow its output without bound.
    private var readPauseOutput: Int { configuration.writeBudgetPerTurn * 4 }

    init(shared: ServerShared, inbox: LoopInbox, dispatcher: ChildRef<Dispatcher.Message>, epollFD: Int32) {
        self.shared = shared
        self.inbox = inbox
        self.dispatcher = dispatcher
        self.epollFD = epollFD
        configuration = shared.configuration
        readBuffer = [UInt8](repeating: 0, count: shared.configuration.readChunk)
        clock = shared.backend.system.clock
        turnTime = clock.now.offset
        lastSweep = turnTime
    }

    /// Runs until shutdown has drained every connection (or its deadline passed).
    func run() {
        var events = [cepoll_event_t](repeating: cepoll_event_t(), count: 256)
        while true {
            let now = monotonicNanoseconds()
            var timeout: Int32 = 1_000
            if shared.draining.load(ordering: .acquiring) {
                if listening {
                    _ = cepoll_ctl(epollFD, 2, shared.listenFD, 0, 0)
                    listening = false
                }
                let deadline = shared.drainDeadline.load(ordering: .relaxed)
                // Idle connections close at once; the rest once they owe nothing, or at the deadline.
                for connection in Array(connections.values) where now >= deadline || isIdle(connection) {
                    close(connection, graceful: now < deadline)
                }
                if connections.isEmpty { break }
                timeout = Int32(clamping: min(100, max(0, (deadline - now) / 1_000_000 + 1)))
            }
            let count = events.withUnsafeMutableBufferPointer { buffer in
                cepoll_wait(epollFD, buffer.baseAddress, Int32(buffer.count), timeout)
            }
            turnTime = clock.now.offset
            for index in 0..<max(0, Int(count)) {
                let event = events[index]
                switch event.token {
                case Self.listenerToken: acceptConnections()
                case Self.wakeToken: _ = cepoll_eventfd_drain(inbox.eventFD)
                default: connectionEvent(ConnectionKey(token: event.token), events: event.events)
                }
            }
            takeInbox()
            retryDisconnects()
            if turnTime - lastSweep >= .seconds(1) {
                lastSweep = turnTime
                sweepIdle()
                resumeAccepting()
            }
        }
        shared.handOver(pendingDisconnects)
        pendingDisconnects = []
        if spareFD >= 0 { Glibc.close(spareFD) }
        Glibc.close(epollFD)
    }

    /// Puts the listener back after running out of descriptors paused it.
    private func resumeAccepting() {
        guard !listening, !shared.draining.load(ordering: .relaxed) else { return }
        if spareFD < 0 { spareFD = Self.openSpare() }
        listening = cepoll_ctl(epollFD, 0, shared.listenFD, cepoll_in, Self.listenerToken) == 0
    }

    private func isIdle(_ connection: Connection) -> Bool {
        connection.queueCount == 0 && !connection.inFlight && connection.pendingOutput == 0
    }

    // MARK: Accepting

    private func acceptConnections() {
        for _ in 0..<configuration.acceptsPerTurn {
            let fd = cepoll_accept(shared.listenFD)
            guard fd >= 0 else {
                // EAGAIN: none left (or another loop took it). Out of descriptors: refuse the
                // waiting client rather than leave it hanging, and the level-triggered
                // listener spinning, until a descriptor frees.
                let error = cepoll_errno()
                if error == EMFILE || error == ENFILE { refuseForLackOfDescriptors() }
                return
            }
            let counters = shared.counters
            if counters.open.add(1, ordering: .relaxed).newValue > configuration.maxConnections {
                counters.open.subtract(1, ordering: .relaxed)
                refuse(fd)
                continue
            }
            counters.accepted.add(1, ordering: .relaxed)
            var one: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let key = ConnectionKey(fd: fd, generation: nextGeneration)
            nextGeneration = nextGeneration == UInt32.max ? 1 : nextGeneration + 1
            let outbox = ConnectionOutbox(key: key, inbox: inbox, counters: counters, softLimit: configuration.outboundSoftLimit)
            let connection = Connection(
                key: key, backend: shared.backend.connect(pushes: outbox), outbox: outbox, limits: configuration.wire,
                now: turnTime
            )
            connections[fd] = connection
            connection.interest = cepoll_in
            _ = cepoll_ctl(epollFD, 0, fd, cepoll_in, key.token)
        }
    }

    /// Answers `-BUSY too many connections` and closes, not counted as open.
    private func refuse(_ fd: Int32) {
        shared.counters.refused.add(1, ordering: .relaxed)
        _ = Self.refusal.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, cepoll_msg_nosignal) }
        discardPendingInput(fd)
        Glibc.close(fd)
    }

    /// Unread input makes close() send a reset, which can destroy what was just written
    /// before the client reads it: a bounded amount of what has arrived is read and dropped.
    private func discardPendingInput(_ fd: Int32) {
        for _ in 0..<4 {
            let count = readBuffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count <= 0 { break }
        }
    }

    private static let refusal = Array("-BUSY too many connections\r\n".utf8)

    /// The process is out of descriptors: the spare one (held for this) is closed so the
    /// waiting connection can be accepted and refused, then taken again. Without a spare the
    /// listener leaves the epoll set until the next idle sweep, so the loop does not spin.
    private func refuseForLackOfDescriptors() {
        shared.counters.acceptErrors.add(1, ordering: .relaxed)
        if spareFD >= 0 {
            Glibc.close(spareFD)
            let fd = cepoll_accept(shared.listenFD)
            if fd >= 0 { refuse(fd) }
            spareFD = Self.openSpare()
        }
        if spareFD < 0, listening {
            _ = cepoll_ctl(epollFD, 2, shared.listenFD, 0, 0)
            listening = false
        }
    }

    private static func openSpare() -> Int32 {
        open("/dev/null", O_RDONLY | O_CLOEXEC)
    }

    // MARK: Events

    private func connection(_ key: ConnectionKey) -> Connection? {
        guard let connection = connections[key.fd], connection.key.generation == key.generation else { return nil }
        return connection
    }

    private func connectionEvent(_ key: ConnectionKey, events: UInt32) {
        guard let connection = connection(key) else { return }
        if events & cepoll_err != 0 || (events & cepoll_hup != 0 && events & cepoll_in == 0) {
            close(connection, graceful: false)
            return
        }
        if events & cepoll_in != 0, !connection.readClosed {
            guard read(connection) else { return }
        }
        service(connection)
    }

    /// One read of at most `readChunk`; false if the connection was closed.
    private func read(_ connection: Connection) -> Bool {
        let chunk = configuration.readChunk
        let count = readBuffer.withUnsafeMutableBytes { recv(connection.key.fd, $0.baseAddress, chunk, 0) }
        if count > 0 {
            shared.counters.bytesIn.add(count, ordering: .relaxed)
            let bytes = readBuffer[0..<count]
            if !connection.sniffed {
                sniff(connection, bytes)
            } else {
                connection.parser.append(bytes)
                parseRequests(connection)
            }
        } else if count == 0 {
            connection.readClosed = true
            if !connection.sniffed { sniff(connection, []) }
        } else {
            let error = errno
            if error != EAGAIN, error != EWOULDBLOCK, error != EINTR {
                close(connection, graceful: false)
                return false
            }
        }
        return true
    }

    static let httpMetrics = Array("GET /metrics".utf8)

    /// Tells an HTTP `GET /metrics` from the protocol by the connection's first bytes, which
    /// may come in pieces: while they are a strict prefix of `GET /metrics` (at most 11
    /// bytes) they are held and the decision waits for more, or for the end of input.
    private func sniff(_ connection: Connection, _ bytes: ArraySlice<UInt8>) {
        let first = connection.heldFirstBytes.isEmpty ? bytes : ArraySlice(connection.heldFirstBytes + bytes)
        connection.heldFirstBytes = []
        if first.count < Self.httpMetrics.count, Self.httpMetrics.starts(with: first), !connection.readClosed {
            connection.heldFirstBytes = Array(first)
            return
        }
        connection.sniffed = true
        if first.starts(with: Self.httpMetrics) {
            connection.readClosed = true
            connection.stopParsing = true
            connection.enqueue(.pending(.metrics, connection.encoder.version))
            return
        }
        connection.parser.append(first)
        parseRequests(connection)
    }

    // MARK: Requests

    private func parseRequests(_ connection: Connection) {
        while !connection.stopParsing {
            guard connection.queueCount < configuration.maxPipelined else {
                connection.parserMayHaveMore = true
                return
            }
            let request: Request?
            do {
                request = try connection.parser.next()
            } catch {
                connection.answer(.error(code: error.code, message: error.message))
                connection.stopParsing = true
                connection.readClosed = true
                return
            }
            guard let request else {
                connection.parserMayHaveMore = false
                return
            }
            handle(request, on: connection)
        }
    }

    private func handle(_ request: Request, on connection: Connection) {
        shared.counters.requests.add(1, ordering: .relaxed)
        connection.lastRequest = turnTime
        guard !shared.draining.load(ordering: .relaxed) else {
            connection.answer(WireValue(ErrorReply.shuttingDown))
            return
        }
        var arguments = request.arguments
        // PROTOCOL.md: inline SAY and DM take the rest of the line verbatim as their text.
        if request.form == .inline, arguments.count >= 2, Self.hasVerbatimText(arguments[0]),
           let tail = request.inlineTail(afterArguments: 2) {
            arguments = [arguments[0], arguments[1], tail]
        }
        let command: Command
        do {
            command = try Command.parse(arguments)
        } catch {
            connection.answer(WireValue(error))
            return
        }
        switch command {
        case .ping(let message):
            connection.answer(message.map { .bulk($0) } ?? .simple("PONG"))
        case .health:
            switch shared.backend.health {
            case .ok: connection.answer(.simple("OK"))
            case .unavailable(let why): connection.answer(.error(code: ErrorCode.unavailable.rawValue, message: why))
            }
        case .quit:
            connection.answer(.simple("OK"))
            connection.stopParsing = true
            connection.readClosed = true
        case .hello(let version, nil):
            if let version { connection.encoder.version = RESPVersion(rawValue: version) ?? .resp2 }
            connection.answer(helloValue(connection.encoder.version))
        default:
            connection.enqueue(.pending(.execute(command), connection.encoder.version))
        }
    }

    private static func hasVerbatimText(_ name: ArraySlice<UInt8>) -> Bool {
        // Compared byte by byte, case-folded with 0x20: no allocation on this per-request path.
        func matches(_ word: StaticString) -> Bool {
            guard name.count == word.utf8CodeUnitCount else { return false }
            return zip(name, UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)).allSatisfy { $0 | 0x20 == $1 }
        }
        return matches("say") || matches("dm")
    }

    private func helloValue(_ version: RESPVersion) -> WireValue {
        .map([
            .init("server", .bulk("troupe")), .init("version", .bulk(Backend.version)),
            .init("proto", .integer(Int64(version.rawValue))), .init("node", .bulk(shared.backend.configuration.nodeID)),
        ])
    }

    /// Moves ready replies from the head of the queue to the output, and hands the first
    /// pending job to the dispatcher.
    /// Writes the ready replies at the head of the queue and sends the next request to the
    /// backend. Held pushes are written between replies: never while one of the
    /// connection's requests is with the backend, so the reply to a `SAY` or `DM` always
    /// precedes the push it caused on its own connection (a RESP2 client that reads one
    /// reply per request would otherwise take the push for its reply).
    private func advance(_ connection: Connection) {
        while let head = connection.head {
            switch head {
            case .ready(let bytes):
                connection.output.append(contentsOf: bytes)
                connection.dropHead()
            case .pending(let job, let version):
                if connection.inFlight { return }
                writePushes(connection)
                let message: Dispatcher.Message = switch job {
                case .execute(let command): .execute(command, on: connection.backend, for: connection.key)
                case .metrics: .metrics(for: connection.key)
                }
                switch dispatcher.trySend(message) {
                case .enqueued:
                    connection.inFlight = true
                    return
                case .stopped:
                    connection.replaceHead(.ready(Self.encode(WireValue(ErrorReply.shuttingDown), version)))
                default:
                    shared.counters.dispatcherBusy.add(1, ordering: .relaxed)
                    connection.replaceHead(.ready(Self.encode(WireValue(ErrorReply.busy("front dispatcher is full")), version)))
                }
            }
        }
        writePushes(connection)
    }

    /// Encodes the pushes the connection's sink holds into its output.
    private func writePushes(_ connection: Connection) {
        for push in connection.outbox.take() {
            connection.encoder.encode(WireValue(push), into: &connection.output)
        }
    }

    private static func encode(_ value: WireValue, _ version: RESPVersion) -> [UInt8] {
        var bytes: [UInt8] = []
        RESPEncoder(version: version).encode(value, into: &bytes)
        return bytes
    }

    // MARK: What other threads posted

    private func takeInbox() {
        for item in inbox.take() {
            switch item {
            case .completed(let key, let outcome):
                guard let connection = connection(key) else { continue }
                complete(connection, outcome)
                service(connection)
            case .pushes(let key):
                // Written by `advance`, between replies (held while a request is in flight).
                guard let connection = connection(key) else { continue }
                service(connection)
            }
        }
    }

    private func complete(_ connection: Connection, _ outcome: LoopInbox.Outcome) {
        guard connection.inFlight, case .pending(let job, let version)? = connection.head else { return }
        connection.inFlight = false
        let bytes: [UInt8]
        switch outcome {
        case .reply(.success(let reply)):
            if case .execute(.hello(let requested, _)) = job {
                // HELLO with AUTH: the login succeeded, so the version switch takes effect now.
                if let requested { connection.encoder.version = RESPVersion(rawValue: requested) ?? .resp2 }
                bytes = Self.encode(helloValue(connection.encoder.version), connection.encoder.version)
            } else {
                bytes = Self.encode(WireValue(reply), version)
            }
        case .reply(.failure(let error)):
            bytes = Self.encode(WireValue(error), version)
        case .metrics(let text):
            let body = Array(text.utf8)
            let head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                + "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
            bytes = Array(head.utf8) + body
        }
        connection.replaceHead(.ready(bytes))
    }

    // MARK: Writing and closing

    /// Parses what the queue now has room for, moves ready replies out, writes, and closes
    /// the connection when it owes nothing more and will read nothing more.
    private func service(_ connection: Connection) {
        if connection.parserMayHaveMore { parseRequests(connection) }
        advance(connection)
        guard flush(connection) else { return }
        if connection.pendingOutput > configuration.outboundHardLimit {
            shared.counters.overLimit.add(1, ordering: .relaxed)
            close(connection, graceful: false)
            return
        }
        if connection.readClosed, connection.stopParsing || !connection.parserMayHaveMore, isIdle(connection) {
            close(connection, graceful: true)
            return
        }
        var wanted: UInt32 = 0
        if !connection.readClosed, connection.queueCount < configuration.maxPipelined, connection.pendingOutput < readPauseOutput {
            wanted |= cepoll_in
        }
        if connection.pendingOutput > 0 { wanted |= cepoll_out }
        if wanted != connection.interest {
            connection.interest = wanted
            _ = cepoll_ctl(epollFD, 1, connection.key.fd, wanted, connection.key.token)
        }
    }

    /// Writes at most `writeBudgetPerTurn`; false if the connection was closed.
    private func flush(_ connection: Connection) -> Bool {
        var budget = configuration.writeBudgetPerTurn
        while connection.pendingOutput > 0, budget > 0 {
            let length = min(connection.pendingOutput, budget)
            let offset = connection.outputOffset
            let written = connection.output.withUnsafeBytes { bytes in
                send(connection.key.fd, bytes.baseAddress! + offset, length, cepoll_msg_nosignal)
            }
            if written > 0 {
                connection.outputOffset += written
                budget -= written
                shared.counters.bytesOut.add(written, ordering: .relaxed)
            } else {
                let error = errno
                if error == EINTR { continue }
                if error == EAGAIN || error == EWOULDBLOCK { break }
                close(connection, graceful: false)
                return false
            }
        }
        connection.compactOutput()
        let pending = connection.pendingOutput
        connection.outbox.setPendingOutput(pending)
        if pending != connection.reportedPendingOutput {
            shared.counters.outputPending.add(pending - connection.reportedPendingOutput, ordering: .relaxed)
            connection.reportedPendingOutput = pending
        }
        return true
    }

    private func close(_ connection: Connection, graceful: Bool) {
        let fd = connection.key.fd
        _ = cepoll_ctl(epollFD, 2, fd, 0, 0)
        if graceful { discardPendingInput(fd) }
        Glibc.close(fd)
        connections[fd] = nil
        shared.counters.open.subtract(1, ordering: .relaxed)
        shared.counters.outputPending.subtract(connection.reportedPendingOutput, ordering: .relaxed)
        connection.outbox.close()
        if shared.draining.load(ordering: .relaxed) {
            shared.handOver([connection.backend])
        } else if dispatcher.trySend(.disconnect(connection.backend)) != .enqueued {
            pendingDisconnects.append(connection.backend)
        }
    }

    private func retryDisconnects() {
        guard !pendingDisconnects.isEmpty else { return }
        let waiting = pendingDisconnects
        pendingDisconnects = []
        for (index, backend) in waiting.enumerated() where dispatcher.trySend(.disconnect(backend)) != .enqueued {
            pendingDisconnects.append(contentsOf: waiting[index...])
            return
        }
    }

    /// Closes anonymous connections idle past `anonymousIdleTimeout` (a logged-in one stays).
    private func sweepIdle() {
        let limit = configuration.anonymousIdleTimeout
        for connection in Array(connections.values) where isIdle(connection) && turnTime - connection.lastRequest > limit {
            guard connection.backend.user == nil else { continue }
            shared.counters.idleClosed.add(1, ordering: .relaxed)
            close(connection, graceful: true)
        }
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds.multipliedReportingOverflow(by: 1_000_000_000).overflow
            ? Int64.max : seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
