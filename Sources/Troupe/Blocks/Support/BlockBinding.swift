/// Ties a building block's façade (the `Sendable` object callers hold) to the actor that
/// owns the block's state, once the block's spec has been placed in a tree.
///
/// The binding is made when the supervisor creates the actor's cell, before the actor
/// runs, so a façade call made as soon as `system.start(spec)` returned (or even earlier,
/// from a sibling started later) finds the mailbox; messages wait there until the actor
/// runs. The cell survives restarts, so one binding serves every incarnation.
///
/// ``ChildRef`` is the public face of the same binding, for any actor placed by a spec.
///
/// # Concurrency contract
/// `bind` and `ref` may be called from any thread. Placing one façade's spec twice
/// rebinds the façade to the newer place (the first place keeps running, unreachable
/// through this façade): place each block once, as with ``KeyedActors``.
// Its lookup and `ask` are inlinable: a façade's request is specialized in the module that
// calls it (the backend), where the message and reply types are concrete; unspecialized, each
// request looked up generic metadata at run time (about 9% of a SAY's samples).
@usableFromInline
// Unchecked Sendable: `current` is only read and written while `lock` (a pthread mutex) is held.
final class BlockBinding<Message: Sendable>: @unchecked Sendable {
    @usableFromInline let lock = Lock()
    @usableFromInline var current: ActorRef<Message>?

    @usableFromInline
    init() {}

    /// The actor, if the spec has been placed in a tree.
    @inlinable
    var ref: ActorRef<Message>? {
        lock.withLock { current }
    }

    /// Asks the actor, mapping the two ways that can fail to the block's own error type:
    /// `notStarted` before the spec is placed, `unavailable(error)` for an ask that failed.
    @inlinable
    nonisolated(nonsending) func ask<Reply: Sendable, Failure: Error>(
        timeout: Duration?,
        _ makeRequest: (ReplyTo<Reply>) -> Message,
        notStarted: Failure,
        unavailable: (AskError) -> Failure
    ) async throws(Failure) -> Reply {
        guard let ref else { throw notStarted }
        do {
            return try await ref.ask(timeout: timeout, makeRequest)
        } catch {
            throw unavailable(error)
        }
    }

    /// Hands `message` to the actor on its system lane: never refused by a full mailbox,
    /// never waiting, handled before user messages. Only for control messages that are few
    /// by construction (at most one per subscription, say), never for requests. Does
    /// nothing before the spec is placed.
    func deliverReliably(_ message: Message) {
        ref?.cell.enqueueSystem(.deliver(message))
    }

    /// Makes the spec that places a behavior made by `factory` in a tree under `name`, and
    /// binds this façade to its cell when the cell is created.
    ///
    /// Inlinable, like the façades' `childSpec` that call it: the cell (and with it the
    /// actor's loop and immediate turns) is then made where the behavior's type is concrete,
    /// and runs specialized instead of looking up generic metadata on every message.
    @inlinable
    func childSpec<B: Behavior>(
        _ name: String,
        mailbox: MailboxConfiguration,
        restart: RestartType,
        shutdown: ShutdownPolicy = .defaultForActors,
        _ factory: @escaping @Sendable () throws -> B
    ) throws(ConfigurationError) -> ChildSpec where B.Message == Message {
        try ChildSpec(name: name, restart: restart, shutdown: shutdown, kind: .actor { [self] system, parent, path, spec in
            let cell = BehaviorCell<B>(
                path: path, system: system, parent: parent, restart: spec.restart, shutdown: spec.shutdown,
                mailbox: mailbox, factory: factory
            )
            lock.withLock { current = ActorRef(cell: cell) }
            return cell
        })
    }
}
