/// A message on an actor's system lane. System messages are few, never bounded by the
/// mailbox capacity, and always handled before user messages, so a full mailbox can still
/// be stopped, restarted or told that a child died.
@usableFromInline
enum SystemMessage: Sendable {
    /// End the current incarnation after the message in progress.
    case stop(StopMode)
    /// A child's incarnation ended.
    case childExited(CellBase, incarnation: Int, ExitReason)
    /// A watched actor terminated for good; for the incarnation that watched it.
    case watched(ActorPath, ExitReason, incarnation: Int)
    /// A delayed (backoff) restart of a child is due.
    case restartDue(token: Int)
    /// A child did not stop within its shutdown timeout: the first time its subtree is
    /// cancelled; the second (`afterCancel`), one more timeout later, it is abandoned.
    case shutdownTimedOut(CellBase, incarnation: Int, afterCancel: Bool)
    /// Throw on the `nth` next user message (1 = the next one).
    case injectFault(nth: Int)
    /// A context timer of `incarnation` fired; its message is delivered if the timer is
    /// still current.
    case timerFired(key: String, generation: Int, incarnation: Int)
    /// A message for the behavior that must not be lost to overflow (`pipeToSelf` results,
    /// building blocks' internal messages). With an incarnation, only that incarnation
    /// gets it: work an incarnation started does not report to its successor.
    case deliver(any Sendable, incarnation: Int? = nil)
    /// Run a supervision command sent by the system façade (start or stop a child).
    case command(SupervisorCommand)
}

/// How an incarnation is asked to end.
@usableFromInline
enum StopMode: Sendable, Equatable {
    /// For good: close the mailbox now; queued messages go to dead letters.
    case terminate
    /// For a restart by the supervisor's strategy: keep the mailbox and its messages.
    case forRestart
    /// For good, but handle what is already queued first (passivation, eviction).
    case drain
}

/// A request to a cell's supervision, carried on its system lane so that only the cell's
/// own task ever changes its children. `completion` gets the answer, or the error the
/// caller throws (a ``SupervisorError`` for the ``SupervisorRef`` requests).
@usableFromInline
struct SupervisorCommand: Sendable {
    @usableFromInline
    enum Kind: Sendable {
        /// ``ActorSystem/start(_:)``: answers the cell; throws the start error as it is.
        case start(ChildSpec)
        /// ``ActorSystem/stop(childNamed:)``: answers the owner if the child was found.
        case stop(name: String)
        /// ``SupervisorRef`` requests, answered as OTP's `supervisor` answers them.
        case startChild(ChildSpec)
        case terminateChild(String)
        case restartChild(String)
        case deleteChild(String)
        case whichChildren
    }

    @usableFromInline
    enum Answer: Sendable {
        case cell(CellBase?)
        case children([SupervisorRef.Child])
    }

    @usableFromInline let kind: Kind
    @usableFromInline let completion: Completion<Answer>
}
