/// Why an ``ActorRef/ask(timeout:_:)`` did not produce a reply.
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

    public var description: String {
        switch self {
        case .timedOut(let after): "no reply within \(after)"
        case .mailboxFull(let path): "\(path) is overloaded (mailbox full)"
        case .dropped(let path): "\(path) dropped the request (mailbox overflow)"
        case .stopped(let path): "\(path) has stopped"
        case .noReply(let path): "\(path) did not reply"
        case .cancelled: "the request was cancelled"
        case .failed(let error): "\(error)"
        }
    }
}

/// The one ask routine: builds the request around a fresh ``ReplyTo``, delivers it with
/// `deliver`, and waits for the reply, the deadline, or cancellation.
///
/// `target` names the actor in errors and tells a dropped reply channel whether the actor
/// had stopped. `deliver` is `ActorCell.send` for a ref, and a lookup-and-redirect loop for
/// keyed actors.
nonisolated(nonsending) func performAsk<Message: Sendable, Reply: Sendable>(
    target: CellBase,
    timeout: Duration?,
    _ makeRequest: (ReplyTo<Reply>) -> Message,
    deliver: (Message) async -> SendOutcome
) async throws(AskError) -> Reply {
    let system = target.system
    let timeout = timeout ?? system.configuration.askTimeout
    let pending = PendingReply<Reply>(deadline: system.clock.now.advanced(by: timeout), timeout: timeout)
    system.clock.schedule(pending)
    let outcome = await deliver(makeRequest(ReplyTo(channel: ReplyChannel(pending: pending, target: target))))
    guard outcome == .enqueued else {
        system.clock.cancel(pending)
        switch outcome {
        case .full: throw .mailboxFull(target.path)
        case .dropped: throw .dropped(target.path)
        case .timedOut: throw .timedOut(after: timeout)
        case .cancelled: throw .cancelled
        case .stopped, .enqueued: throw .stopped(target.path)
        }
    }
    let result = await withTaskCancellationHandler {
        await pending.wait()
    } onCancel: {
        pending.finish(.failure(.cancelled))
    }
    system.clock.cancel(pending)
    return try result.get()
}

/// Where an actor sends the answer to an ``ActorRef/ask(timeout:_:)``.
///
/// Put it in the request message; the handler calls ``reply(_:)`` once (later calls are
/// ignored). It may be passed on to another actor that replies instead. If every copy is
/// dropped without a reply, the asker fails at once with ``AskError/noReply(_:)`` or
/// ``AskError/stopped(_:)`` rather than waiting for its deadline.
public struct ReplyTo<Value: Sendable>: Sendable {
    let channel: ReplyChannel<Value>

    /// Sends the reply. Only the first reply or failure counts.
    public func reply(_ value: Value) {
        channel.pending.finish(.success(value))
    }

    /// Fails the ask with ``AskError/failed(_:)`` carrying `error`.
    public func fail(_ error: any Error) {
        channel.pending.finish(.failure(.failed(error)))
    }

    /// Replies with the outcome of `body`, or fails with what it throws.
    public func complete(_ body: () throws -> Value) {
        do { reply(try body()) } catch { fail(error) }
    }
}

/// The object every copy of a ``ReplyTo`` shares. When the last copy goes away without a
/// reply (the request was dropped, or handled and forgotten), its `deinit` fails the ask at
/// once instead of letting it wait for the deadline.
final class ReplyChannel<Value: Sendable>: Sendable {
    let pending: PendingReply<Value>
    private let target: CellBase

    init(pending: PendingReply<Value>, target: CellBase) {
        self.pending = pending
        self.target = target
    }

    deinit {
        let error: AskError = target.isTerminatedOrStopping ? .stopped(target.path) : .noReply(target.path)
        pending.finish(.failure(error))
    }
}

/// The asker's side of one request: its continuation, the outcome, and the deadline timer
/// (the object *is* the timer, so a deadline costs no extra allocation).
///
/// Exactly one of reply, failure, deadline, cancellation or abandonment wins; the state
/// transitions are `pending → waiting(continuation) → finished` or
/// `pending → finished` (a reply that beats the asker's suspension).
final class PendingReply<Value: Sendable>: ClockTimer, @unchecked Sendable {
    // @unchecked Sendable: `state` is only accessed under `lock`; `timeout` is immutable.
    private enum State {
        case pending
        case waiting(UnsafeContinuation<Result<Value, AskError>, Never>)
        case finished(Result<Value, AskError>)
    }

    private let lock = Lock()
    private var state = State.pending
    let timeout: Duration

    init(deadline: ClockInstant, timeout: Duration) {
        self.timeout = timeout
        super.init(deadline: deadline)
    }

    /// Records the outcome and resumes the asker if it is waiting. First call wins.
    func finish(_ result: Result<Value, AskError>) {
        let continuation: UnsafeContinuation<Result<Value, AskError>, Never>? = lock.withLock {
            switch state {
            case .pending:
                state = .finished(result)
                return nil
            case .waiting(let continuation):
                state = .finished(result)
                return continuation
            case .finished:
                return nil
            }
        }
        continuation?.resume(returning: result)
    }

    /// Suspends until an outcome is recorded (returns at once if it already is).
    func wait() async -> Result<Value, AskError> {
        await withUnsafeContinuation { continuation in
            let early: Result<Value, AskError>? = lock.withLock {
                if case .finished(let result) = state { return result }
                state = .waiting(continuation)
                return nil
            }
            if let early { continuation.resume(returning: early) }
        }
    }

    override package func expired() {
        finish(.failure(.timedOut(after: timeout)))
    }
}
