/// A typed reference to an actor placed by a supervisor spec, made before the spec is
/// placed: no path strings, no optional to unwrap.
///
/// ```swift
/// let account = ChildRef<AccountMessage>()
/// let shop = try SupervisorSpec(children: [account.childSpec("account", mailbox: .init(capacity: 64)) { Account() }])
/// try await system.start(.supervisor("shop", shop))
/// let balance = try await account.ask { .balance($0) }
/// ```
///
/// The ref is bound when the supervisor creates the actor's cell, before the actor runs,
/// so it works as soon as `system.start` returned (messages wait in the mailbox until the
/// actor runs). The cell survives restarts, its own and its supervisors', so the same
/// `ChildRef` reaches every later incarnation. Before the spec is placed, ``ask(timeout:_:)``
/// throws ``AskError/notPlaced(_:)`` and sends return ``SendOutcome/stopped``.
///
/// Place each `ChildRef`'s spec once: placing it again (a second spec, or the same spec
/// under a second supervisor) rebinds the ref to the newer place, and the first actor
/// keeps running, unreachable through this ref. For paths known only at run time, use
/// `system.ref(at:as:)` (it throws, telling an absent actor from one of another message
/// type) or `system.lookup(_:as:)` (nil for both).
///
/// In tests, a `ChildRef` names its actor wherever `TroupeTesting` takes one:
/// `.failed(account)`, `.started(account)` in lifecycle expectations,
/// `system.injectFault(at: account)`.
///
/// # Concurrency contract
/// `Sendable`; every method may be called from any task or thread. Two messages sent by
/// the same task arrive in the order they were sent.
public final class ChildRef<Message: Sendable>: Sendable {
    private let binding = BlockBinding<Message>()

    /// A ref bound to nothing yet; bind it by placing a spec made with ``childSpec(_:mailbox:restart:shutdown:_:)``.
    public init() {}

    /// The actor's ref; nil until a spec made by this `ChildRef` has been placed in a tree.
    public var ref: ActorRef<Message>? { binding.ref }

    /// The spec of an ordinary actor whose incarnations are made by `factory`, bound to this
    /// ref when a supervisor places it. The same settings as ``ChildSpec/actor(_:mailbox:restart:shutdown:_:)``.
    ///
    /// - Throws: ``ConfigurationError/invalidName(_:)`` for a bad name.
    public func childSpec<B: Behavior>(
        _ name: String,
        mailbox: MailboxConfiguration,
        restart: RestartType = .permanent,
        shutdown: ShutdownPolicy = .defaultForActors,
        _ factory: @escaping @Sendable () throws -> B
    ) throws(ConfigurationError) -> ChildSpec where B.Message == Message {
        try binding.childSpec(name, mailbox: mailbox, restart: restart, shutdown: shutdown, factory)
    }

    /// ``ActorRef/trySend(_:)`` to the actor; ``SendOutcome/stopped`` before it is placed.
    @discardableResult
    public func trySend(_ message: Message) -> SendOutcome {
        guard let ref else { return .stopped }
        return ref.trySend(message)
    }

    /// ``ActorRef/send(_:)`` to the actor; ``SendOutcome/stopped`` before it is placed.
    @discardableResult
    public nonisolated(nonsending) func send(_ message: Message) async -> SendOutcome {
        guard let ref else { return .stopped }
        return await ref.send(message)
    }

    /// ``ActorRef/ask(timeout:_:)`` to the actor.
    ///
    /// - Throws: ``AskError/notPlaced(_:)`` before the spec is placed; otherwise what
    ///   ``ActorRef/ask(timeout:_:)`` throws.
    public nonisolated(nonsending) func ask<Reply: Sendable>(
        timeout: Duration? = nil,
        _ makeRequest: (ReplyTo<Reply>) -> Message
    ) async throws(AskError) -> Reply {
        guard let ref else { throw .notPlaced("ChildRef<\(Message.self)>") }
        return try await ref.ask(timeout: timeout, makeRequest)
    }
}
