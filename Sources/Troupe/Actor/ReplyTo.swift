/// Where an actor sends the answer to an ``ActorRef/ask(timeout:_:)``.
///
/// Put it in the request message; the handler calls ``reply(_:)`` once (later calls are
/// ignored). It may be passed on to another actor that replies instead. If every copy is
/// dropped without a reply, the asker fails at once with ``AskError/noReply(_:)`` or
/// ``AskError/stopped(_:)`` rather than waiting for its deadline.
public struct ReplyTo<Value: Sendable>: Sendable {
    @usableFromInline let channel: ReplyChannel<Value>

    @inlinable
    init(channel: ReplyChannel<Value>) {
        self.channel = channel
    }

    /// Sends the reply. Only the first reply or failure counts.
    @inlinable
    public func reply(_ value: Value) {
        channel.pending.finish(.success(value))
    }

    /// Fails the ask with ``AskError/failed(_:)`` carrying `error`.
    @inlinable
    public func fail(_ error: any Error) {
        channel.pending.finish(.failure(.failed(error)))
    }

    /// Replies with the outcome of `body`, or fails with what it throws.
    @inlinable
    public func complete(_ body: () throws -> Value) {
        do { reply(try body()) } catch { fail(error) }
    }
}
