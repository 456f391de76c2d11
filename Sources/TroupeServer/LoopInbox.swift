import CEpoll
import Glibc
import Troupe
import TroupeBackend

/// What other threads hand one event loop: results of backend requests, notices that a
/// connection's push sink has pushes, and the start of shutdown. Posting wakes the loop
/// through its eventfd (once per batch: only a post into an empty inbox writes to it).
///
/// # Concurrency contract
/// `Sendable`. `post` may be called from any thread (dispatcher tasks, the bus actor through
/// a sink); `take` only by the loop thread. The eventfd is closed by `deinit`, that is only
/// when nothing can post any more (every dispatcher task, outbox and loop that held the
/// inbox is gone), so a late post never writes into a descriptor number reused by another
/// file.
final class LoopInbox: Sendable {
    /// One item for the loop.
    enum Item: Sendable {
        /// The backend answered the request in flight on connection (fd, generation).
        case completed(ConnectionKey, Outcome)
        /// Connection (fd, generation)'s sink holds pushes.
        case pushes(ConnectionKey)
    }

    /// What a dispatched job produced.
    enum Outcome: Sendable {
        /// A backend reply or error reply.
        case reply(Result<Reply, ErrorReply>)
        /// The Prometheus text for an HTTP `GET /metrics`.
        case metrics(String)
    }

    let eventFD: Int32
    private let items = Locked<[Item]>([])

    init(eventFD: Int32) {
        self.eventFD = eventFD
    }

    deinit {
        close(eventFD)
    }

    func post(_ item: Item) {
        let wasEmpty = items.withLock { items in
            items.append(item)
            return items.count == 1
        }
        if wasEmpty { wake() }
    }

    /// Wakes the loop without an item (shutdown began).
    func wake() {
        _ = cepoll_eventfd_signal(eventFD)
    }

    /// Everything posted so far, oldest first.
    func take() -> [Item] {
        items.withLock { items in
            defer { items = [] }
            return items
        }
    }
}

/// A connection's identity on its loop: a file descriptor is reused after close, so the
/// generation tells a reply or push for an older connection from one for the current one.
struct ConnectionKey: Sendable, Hashable {
    let fd: Int32
    let generation: UInt32

    /// The epoll token: generation in the high half, fd in the low half. Tokens 0 and 1 are
    /// the listener and the eventfd (generations start at 1, so no connection has them).
    var token: UInt64 { UInt64(generation) << 32 | UInt64(UInt32(bitPattern: fd)) }

    init(fd: Int32, generation: UInt32) {
        self.fd = fd
        self.generation = generation
    }

    init(token: UInt64) {
        fd = Int32(bitPattern: UInt32(truncatingIfNeeded: token))
        generation = UInt32(truncatingIfNeeded: token >> 32)
    }
}
