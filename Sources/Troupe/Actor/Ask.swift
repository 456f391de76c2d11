import Synchronization

/// Why an ``ActorRef/ask(timeout:_:)`` did not produce a reply.
///
/// `Equatable` (the same case with equal values; see `AskError+Equatable.swift` for
/// ``failed(_:)``), so a test can expect one: `#expect(throws: AskError.timedOut(after: .seconds(1)))`.
public enum AskError: Error, Sendable, CustomStringConvertible {
    /// No reply within the deadline. The request may or may not have been handled.
    case timedOut(after: Duration)
    /// The mailbox refused the request (full with policy `fail` or a suspend timeout).
    case mailboxFull(ActorPath)
    /// The mailbox discarded the request (policy `dropNewest` or `dropOldest`).
    case dropped(ActorPath)
    /// The actor stopped before replying, or had already stopped.
    case stopped(ActorPath)
    /// The actor handled the request (or lost it) without replying.
    case noReply(ActorPath)
    /// The asking task was cancelled.
    case cancelled
    /// The actor replied with an error (``ReplyTo/fail(_:)``).
    case failed(any Error)
    /// Nothing to ask yet: a ``ChildRef`` whose spec has not been placed in a tree (start
    /// the spec first). The value names the ref, with its message type.
    case notPlaced(String)
    /// The ask would have closed a cycle of actors waiting on each other's replies, so it
    /// failed at once instead of at its deadline. `cycle` names the actors in order, the
    /// asker first: each waits on the next for a reply, and the last waits on the asker. One
    /// path alone is an actor that asked itself from its own handler.
    ///
    /// Only asks made from inside an actor's handler (or its `started`/`stopping` hooks)
    /// take part. The request was not delivered: it is a dead letter with reason
    /// ``DeadLetterReason/askCycle``, and ``ActorSystem/askCyclesTotal`` counts it. Of two
    /// actors that ask each other at the same moment, exactly one gets this error; the
    /// other's ask completes once this one's handler moves on.
    case deadlock(cycle: [ActorPath])

    public var description: String {
        switch self {
        case .timedOut(let after): "no reply within \(after)"
        case .mailboxFull(let path): "\(path) is overloaded (mailbox full)"
        case .dropped(let path): "\(path) dropped the request (mailbox overflow)"
        case .stopped(let path): "\(path) has stopped"
        case .noReply(let path): "\(path) did not reply"
        case .cancelled: "the request was cancelled"
        case .failed(let error): "\(error)"
        case .notPlaced(let ref): "\(ref) is not placed in a running tree yet"
        case .deadlock(let cycle):
            "deadlock: " + (cycle + cycle.prefix(1)).map(\.description).joined(separator: " → ")
                + " (each waits on the next for a reply)"
        }
    }
}

/// The one ask routine: builds the request around a fresh ``ReplyTo``, delivers it, and
/// waits for the reply, the deadline, or cancellation.
///
/// `target` names the actor in errors and tells a dropped reply channel whether the actor
/// had stopped. Delivery comes in two steps so that the common case never suspends:
/// `offer` delivers without waiting (for a ref: an immediate turn if the actor is idle,
/// else a place in its mailbox) or hands the request back when it must wait for room;
/// `wait` then delivers it waiting, with the ask's timeout as the limit of that wait, so
/// the deadline covers the whole ask. An ask answered during `offer` (in an immediate
/// turn) returns without an `await` that suspends or hops, and without a deadline entry.
/// `offer` also gets the asking handler's cell, if any, whose edge in the
/// ``WaitForGraph`` it settles with the request's ordinal.
///
/// The deadline is registered when the ask first has to wait (for room or for the
/// reply), so it counts from then; what came before never suspended.
///
/// An asking handler first tries `tryTurn` (an immediate turn, for a ref; nothing for a
/// keyed actor): handled there, the request never makes it wait on the target, so it takes
/// no part in the wait-for graph; else it is delivered by `offer` and `wait` as above.
///
/// An ask made from inside an actor's handler is an edge of the system's wait-for graph,
/// recorded before the request is delivered: one that would close a cycle is not delivered
/// and fails with ``AskError/deadlock(cycle:)``. An ask from any other task reads the same
/// task-local as before (its wait then registers with no cell) and pays nothing more.
@inlinable @inline(__always)
nonisolated(nonsending) func performAsk<Message: Sendable, Reply: Sendable>(
    target: CellBase,
    timeout: Duration?,
    _ makeRequest: (ReplyTo<Reply>) -> Message,
    tryTurn: (consuming Message) -> Message?,
    offer: (consuming Message, _ waiter: CellBase?) -> ImmediateDelivery<Message>,
    wait: nonisolated(nonsending) (Message, Duration, _ waiter: CellBase?) async -> SendOutcome
) async throws(AskError) -> Reply {
    let system = target.system
    let timeout = timeout ?? system.configuration.askTimeout
    let cell = IncarnationScope.current?.cellForCurrentTask
    // A node of this system's graph: a handler of this system (an ask across systems is
    // not checked; each system's graph has its own lock).
    let asker = cell?.system === system ? cell : nil
    let pending = PendingReply<Reply>(timeout: timeout)
    // Optional so each step takes it: a copy left here would keep the reply channel alive
    // while the ask waits, and a request dropped without a reply would then never fail it.
    var request: Message? = makeRequest(ReplyTo(channel: ReplyChannel(pending: pending, target: target)))
    // The asker once its wait is an edge of the graph (removed however the ask ends).
    var edge: CellBase?
    if let asker {
        // A handler's ask tries an immediate turn before it becomes an edge of the graph: a
        // request handled at once never makes it wait on the target.
        if let declined = tryTurn(request.take().unsafelyUnwrapped) {
            request = declined
            if let cycle = system.waitForGraph.beginWait(asker: asker, on: target) {
                // Not delivered: finished first, so whoever reads the dead letter cannot answer it.
                let error = AskError.deadlock(cycle: cycle)
                pending.finish(.failure(error))
                system.deadLetters.record(request.take().unsafelyUnwrapped, to: target.path, reason: .askCycle)
                throw error
            }
            edge = asker
        }
    }
    var hasDeadline = false
    // Still held unless an immediate turn took it.
    if let undelivered = request.take() {
        let outcome: SendOutcome
        switch offer(undelivered, edge) {
        case .settled(let settled):
            outcome = settled
        case .mustWait(let request):
            system.deadlines.add(pending, timeout: timeout)
            hasDeadline = true
            outcome = await wait(request, timeout, edge)
        }
        guard outcome == .enqueued else {
            if let edge { system.waitForGraph.endWait(asker: edge) }
            if hasDeadline { system.deadlines.remove(pending) }
            switch outcome {
            case .full: throw .mailboxFull(target.path)
            case .dropped: throw .dropped(target.path)
            case .timedOut: throw .timedOut(after: timeout)
            case .cancelled: throw .cancelled
            case .stopped, .enqueued: throw .stopped(target.path)
            }
        }
    }
    if let answered = pending.resultIfFinished {
        if let edge { system.waitForGraph.endWait(asker: edge) }
        if hasDeadline { system.deadlines.remove(pending) }
        return try answered.get()
    }
    if !hasDeadline { system.deadlines.add(pending, timeout: timeout) }
    let result = await awaitCancellably(pending, registeringWith: cell) { await pending.wait() }
    if let edge { system.waitForGraph.endWait(asker: edge) }
    system.deadlines.remove(pending)
    return try result.get()
}

/// What an attempt to deliver without waiting did.
@usableFromInline
enum ImmediateDelivery<Message> {
    /// Delivered (in an immediate turn or into the mailbox), or refused: the outcome.
    case settled(SendOutcome)
    /// The mailbox is full and its policy says wait: the message, to deliver waiting.
    case mustWait(Message)
}

/// The object every copy of a ``ReplyTo`` shares. When the last copy goes away without a
/// reply (the request was dropped, or handled and forgotten), its `deinit` fails the ask at
/// once instead of letting it wait for the deadline.
@usableFromInline
final class ReplyChannel<Value: Sendable>: Sendable {
    @usableFromInline let pending: PendingReply<Value>
    @usableFromInline let target: CellBase

    @inlinable
    init(pending: PendingReply<Value>, target: CellBase) {
        self.pending = pending
        self.target = target
    }

    deinit {
        // The usual case: the reply came first. Checked without a lock.
        guard !pending.isFinished else { return }
        let error: AskError = target.isTerminatedOrStopping ? .stopped(target.path) : .noReply(target.path)
        pending.finish(.failure(error))
    }
}

/// The asker's side of one request: its continuation, the outcome, its deadline (it is a
/// node of the system's deadline lanes) and its cancellation hook. Who finishes it and
/// when is ordered by its non-generic base, ``ReplyHandOver``.
@usableFromInline
// Unchecked Sendable: `result` is written once by the elected finisher before the phase is
// published with release ordering and read only after an acquiring read of the phase;
// `continuation` likewise in the other direction (see ReplyHandOver). `timeout` is immutable.
final class PendingReply<Value: Sendable>: ReplyHandOver, @unchecked Sendable {
    @usableFromInline @exclusivity(unchecked) var result: Result<Value, AskError>?
    @usableFromInline @exclusivity(unchecked) var continuation: UnsafeContinuation<Result<Value, AskError>, Never>?
    @usableFromInline let timeout: Duration

    @inlinable
    init(timeout: Duration) {
        self.timeout = timeout
        super.init()
    }

    /// The outcome if it is recorded and published (the finisher is done with it).
    @inlinable
    var resultIfFinished: Result<Value, AskError>? {
        isPublishedFinished ? result : nil
    }

    /// Records the outcome and resumes the asker if it is waiting. First call wins.
    @inlinable
    func finish(_ outcome: Result<Value, AskError>) {
        guard claim() else { return }
        result = outcome
        if publishFinished() == ReplyHandOver.waiting {
            continuation.unsafelyUnwrapped.resume(returning: outcome)
        }
    }

    /// Suspends until an outcome is recorded (returns at once if it already is).
    @inlinable
    nonisolated(nonsending) func wait() async -> Result<Value, AskError> {
        await withUnsafeContinuation { continuation in
            self.continuation = continuation
            if !publishWaiting() {
                continuation.resume(returning: result.unsafelyUnwrapped)
            }
        }
    }

    @usableFromInline
    override func deadlinePassed() {
        finish(.failure(.timedOut(after: timeout)))
    }

    @usableFromInline
    override func cancelWait() {
        finish(.failure(.cancelled))
    }
}
