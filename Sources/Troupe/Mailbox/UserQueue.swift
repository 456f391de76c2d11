/// The user lane of a mailbox as a pure state machine: a bounded FIFO of messages, the
/// senders waiting for room, and the counters behind an actor's metrics.
///
/// It performs no effects. Each event returns what the caller must do once it has released
/// the cell's lock: resume a continuation, record a dead letter, wake the consumer.
///
/// # Invariants
/// - `ring.count <= capacity`, except briefly one over after ``putBackFirst(_:)``.
/// - Waiting senders exist only while the ring is full: whenever the consumer takes
///   messages, waiters are admitted, oldest first, into the freed slots. So a new message
///   never overtakes a waiting one, and each sender's messages stay in the order it sent.
/// - Once `isClosed`, nothing enters the ring again until `reopen()`.
@usableFromInline
struct UserQueue<Message: Sendable>: ~Copyable {
    @usableFromInline let capacity: Int
    @usableFromInline let policy: OverflowPolicy
    @usableFromInline var ring = RingBuffer<Message>()
    @usableFromInline var waiters = RingBuffer<SuspendedSend<Message>>()
    @usableFromInline var waitingCount = 0
    @usableFromInline var isClosed = false

    @usableFromInline var highWaterMark = 0
    @usableFromInline var enqueuedTotal = 0
    @usableFromInline var droppedTotal = 0

    @inlinable
    init(capacity: Int, policy: OverflowPolicy) {
        self.capacity = capacity
        self.policy = policy
    }

    @inlinable var depth: Int { ring.count }
    @inlinable var isEmpty: Bool { ring.isEmpty }
    @inlinable var waitingSenders: Int { waitingCount }

    /// What became of an offered message.
    @usableFromInline
    enum Offer {
        case enqueued
        /// Enqueued after evicting the oldest message, which the caller dead-letters.
        case enqueuedEvicting(Message)
        /// Not enqueued; the caller dead-letters it with `reason` and reports `outcome`.
        case rejected(Message, SendOutcome, DeadLetterReason)
        /// The policy says wait: the caller parks the sender with ``park(_:)``.
        case mustWait(Message)

        /// True if the message entered the lane.
        @inlinable
        var entered: Bool {
            switch self {
            case .enqueued, .enqueuedEvicting: true
            case .rejected, .mustWait: false
            }
        }
    }

    /// Offers `message`. `mayWait` is false for `trySend`, which never waits.
    @inlinable
    mutating func offer(_ message: consuming Message, mayWait: Bool) -> Offer {
        if isClosed { return .rejected(message, .stopped, .actorStopped) }
        if ring.count < capacity && waitingCount == 0 {
            append(message)
            return .enqueued
        }
        switch policy {
        case .suspend:
            if mayWait { return .mustWait(message) }
            droppedTotal &+= 1
            return .rejected(message, .full, .mailboxFull)
        case .fail:
            droppedTotal &+= 1
            return .rejected(message, .full, .mailboxFull)
        case .dropNewest:
            droppedTotal &+= 1
            return .rejected(message, .dropped, .droppedNewest)
        case .dropOldest:
            // Capacity is at least 1 (validated), so a full ring has a first element.
            let evicted = ring.popFirst().unsafelyUnwrapped
            droppedTotal &+= 1
            append(message)
            return .enqueuedEvicting(evicted)
        }
    }

    /// Queues a sender that must wait (after ``offer(_:mayWait:)`` returned `.mustWait`).
    /// If room appeared in between, the message is enqueued at once and `true` is returned.
    @usableFromInline
    mutating func park(_ sender: SuspendedSend<Message>) -> Bool {
        if ring.count < capacity && waitingCount == 0, let message = sender.message.take() {
            append(message)
            return true
        }
        waiters.append(sender)
        waitingCount &+= 1
        return false
    }

    /// Removes a waiting sender (timeout, cancellation). Returns its message and
    /// continuation if it was still waiting. The record itself is skipped when its turn
    /// comes, or dropped sooner by a compaction once stale records outnumber live ones, so
    /// senders that keep timing out at a stuck actor cannot grow the line without bound.
    @usableFromInline
    mutating func abandon(
        _ sender: SuspendedSend<Message>
    ) -> (Message, UnsafeContinuation<SendOutcome, Never>)? {
        guard let continuation = sender.continuation, let message = sender.message.take() else { return nil }
        sender.continuation = nil
        waitingCount &-= 1
        droppedTotal &+= 1
        if waiters.count > 2 &* waitingCount &+ 32 { dropAbandonedWaiters() }
        return (message, continuation)
    }

    /// Keeps only the senders still waiting, in their order.
    @usableFromInline
    mutating func dropAbandonedWaiters() {
        var stillWaiting = RingBuffer<SuspendedSend<Message>>()
        waiters.drain { sender in
            if sender.continuation != nil { stillWaiting.append(sender) }
        }
        waiters = stillWaiting
    }

    /// Moves up to `limit` messages into `batch` and admits waiting senders into the room
    /// made; their continuations go to `admitted` for the caller to resume with `.enqueued`.
    @inlinable
    mutating func take(
        upTo limit: Int,
        into batch: inout [Message],
        admitted: inout [UnsafeContinuation<SendOutcome, Never>]
    ) {
        ring.moveFront(limit, into: &batch)
        if waitingCount > 0 { admitWaiters(into: &admitted) }
    }

    /// Takes the first message and admits waiting senders into the room made (an
    /// immediate turn going on with the messages that arrived during it).
    @inlinable
    mutating func takeFirst(admitted: inout [UnsafeContinuation<SendOutcome, Never>]) -> Message? {
        guard let message = ring.popFirst() else { return nil }
        if waitingCount > 0 { admitWaiters(into: &admitted) }
        return message
    }

    @usableFromInline
    mutating func admitWaiters(into admitted: inout [UnsafeContinuation<SendOutcome, Never>]) {
        while waitingCount > 0 && ring.count < capacity, let sender = waiters.popFirst() {
            guard let continuation = sender.continuation, let message = sender.message.take() else { continue }
            sender.continuation = nil
            waitingCount &-= 1
            append(message)
            admitted.append(continuation)
        }
        if waitingCount == 0 && !waiters.isEmpty {
            waiters.drain { _ in }
        }
    }

    /// Closes the lane: no message enters until ``reopen()``. Queued messages and waiting
    /// senders are handed back for dead-lettering and resumption with `.stopped`.
    @usableFromInline
    mutating func close(
        discarding messages: inout [Message],
        senders: inout [(Message, UnsafeContinuation<SendOutcome, Never>)]
    ) {
        isClosed = true
        ring.drain { messages.append($0) }
        droppedTotal &+= messages.count
        waiters.drain { sender in
            guard let continuation = sender.continuation, let message = sender.message.take() else { return }
            sender.continuation = nil
            senders.append((message, continuation))
        }
        droppedTotal &+= senders.count
        waitingCount = 0
        ring.releaseStorage()
    }

    /// Closes the lane if nothing is queued and no sender waits (how most actors end), and
    /// returns true; otherwise changes nothing and returns false (then use
    /// ``close(discarding:senders:)``). It makes none of the hand-back arrays, which an
    /// unspecialized caller would build through runtime type lookups.
    @inlinable
    mutating func closeIfIdle() -> Bool {
        guard ring.isEmpty && waiters.isEmpty else { return false }
        isClosed = true
        ring.releaseStorage()
        return true
    }

    /// Stops accepting messages but keeps the queued ones for the consumer to finish
    /// (drain-then-stop, used when a keyed actor is passivated or evicted).
    @usableFromInline
    mutating func closeForNewMessages() {
        isClosed = true
    }

    /// Accepts messages again (a stopped actor restarted by its supervisor).
    @usableFromInline
    mutating func reopen() {
        isClosed = false
    }

    /// Counts a message an immediate turn handled as having entered the lane (it never
    /// entered the ring).
    @inlinable
    mutating func countEnteredForTurn() {
        enqueuedTotal &+= 1
        if highWaterMark == 0 { highWaterMark = 1 }
    }

    /// Puts back, ahead of everything, a message an immediate turn took from an empty lane
    /// and its behavior declined (the loop handles it next). It was admitted when the lane
    /// was empty, so it may take the lane one over its capacity, briefly. The first message
    /// of a turn is counted as entering here (see ``countEnteredForTurn()``); one the turn
    /// took from the ring was counted when it entered.
    @usableFromInline
    mutating func putBackFirst(_ message: Message) {
        ring.prepend(message)
        if ring.count > highWaterMark { highWaterMark = ring.count }
    }

    @inlinable
    mutating func append(_ message: consuming Message) {
        ring.append(message)
        enqueuedTotal &+= 1
        if ring.count > highWaterMark { highWaterMark = ring.count }
    }
}
