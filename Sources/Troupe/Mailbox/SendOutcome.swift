/// The result of offering a message to an actor.
public enum SendOutcome: Sendable, Hashable {
    /// The message is in the mailbox and will be handled (unless the actor stops first).
    case enqueued
    /// The mailbox was full and its policy is ``OverflowPolicy/dropNewest``.
    case dropped
    /// The mailbox was full and the policy is ``OverflowPolicy/fail``, or `trySend` met a
    /// full ``OverflowPolicy/suspend(timeout:)`` mailbox.
    case full
    /// The actor has stopped (or is stopping) and takes no more messages.
    case stopped
    /// The sender waited for space longer than the policy's timeout.
    case timedOut
    /// The sending task was cancelled while it waited for space.
    case cancelled

    /// True only for ``enqueued``.
    public var isEnqueued: Bool { self == .enqueued }
}
