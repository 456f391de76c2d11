import TroupeBackend
import TroupeWire

/// One client connection's state. Owned by its loop thread and touched by nothing else (no
/// lock, no actor): the only parts other threads see are its ``ConnectionOutbox`` and its
/// ``BackendConnection``, both `Sendable` and guarding their own state.
///
/// # Reply order
/// Every request takes a slot in ``queue`` in arrival order. A request the loop answers
/// itself (PING, HEALTH, HELLO, QUIT, errors) is `.ready` at once; one for the backend is
/// `.pending` until its outcome arrives. The loop writes ready slots from the head and stops
/// at the first pending one, so replies leave in request order even when a later one was
/// ready first. Only the head slot is ever in flight (one backend request per connection at
/// a time), so the backend sees a connection's requests in order.
final class Connection {
    /// A request's place in the reply order.
    enum Slot {
        /// The encoded reply.
        case ready([UInt8])
        /// Waiting for the backend; the RESP version to encode its reply with (the one in
        /// force when the request was read).
        case pending(Job, RESPVersion)
    }

    /// What a pending slot waits for.
    enum Job {
        case execute(Command)
        case metrics
    }

    let key: ConnectionKey
    let backend: BackendConnection
    let outbox: ConnectionOutbox
    var parser: RequestParser
    var encoder = RESPEncoder(version: .resp2)

    /// The reply slots; `queue[queueHead...]` are live (a head index, not `removeFirst`, so
    /// taking the head is O(1)).
    private var slots: [Slot] = []
    private var slotsHead = 0
    /// Whether the head slot's job was handed to the dispatcher.
    var inFlight = false

    /// Bytes owed to the socket: `output[outputOffset...]`.
    var output: [UInt8] = []
    var outputOffset = 0
    /// ``pendingOutput`` as last added to the server's `outputPending` gauge.
    var reportedPendingOutput = 0

    /// No more reads: EOF, QUIT, a protocol error or an HTTP request.
    var readClosed = false
    /// No more requests are taken from the parser (QUIT, protocol error, HTTP).
    var stopParsing = false
    /// The parser may hold complete requests not yet taken (the queue was full).
    var parserMayHaveMore = false
    /// Whether the first bytes were looked at for an HTTP request.
    var sniffed = false
    /// First bytes held while they could still begin `GET /metrics` (fewer than 12).
    var heldFirstBytes: [UInt8] = []
    /// The epoll events registered now.
    var interest: UInt32 = 0
    /// The loop's clock reading (``EventLoop``'s turn time) at the last request, or at the accept.
    var lastRequest: Duration

    init(key: ConnectionKey, backend: BackendConnection, outbox: ConnectionOutbox, limits: WireLimits, now: Duration) {
        self.key = key
        self.backend = backend
        self.outbox = outbox
        parser = RequestParser(limits: limits, verbatimTails: ["say": 2, "dm": 2])
        lastRequest = now
    }

    var pendingOutput: Int { output.count - outputOffset }
    var queueCount: Int { slots.count - slotsHead }
    var head: Slot? { slotsHead < slots.count ? slots[slotsHead] : nil }

    func enqueue(_ slot: Slot) {
        slots.append(slot)
    }

    func replaceHead(_ slot: Slot) {
        slots[slotsHead] = slot
    }

    func dropHead() {
        slotsHead += 1
        if slotsHead == slots.count {
            slots.removeAll(keepingCapacity: slots.capacity <= 64)
            slotsHead = 0
        } else if slotsHead >= 64, slotsHead * 2 >= slots.count {
            slots.removeFirst(slotsHead)
            slotsHead = 0
        }
    }

    /// Answers a request with `value`: straight into the output when nothing waits ahead of
    /// it, else as a ready slot behind the others.
    func answer(_ value: WireValue) {
        if queueCount == 0 {
            encoder.encode(value, into: &output)
        } else {
            var bytes: [UInt8] = []
            encoder.encode(value, into: &bytes)
            slots.append(.ready(bytes))
        }
    }

    /// Drops written bytes from the front of the output once they are the larger part.
    func compactOutput() {
        if outputOffset == output.count {
            output.removeAll(keepingCapacity: output.capacity <= 64 * 1024)
            outputOffset = 0
        } else if outputOffset >= 64 * 1024, outputOffset * 2 >= output.count {
            output.removeFirst(outputOffset)
            outputOffset = 0
        }
    }
}
