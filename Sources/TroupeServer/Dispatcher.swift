import Troupe
import TroupeBackend

/// The actor through which one event loop calls the async backend. A loop thread cannot
/// await, so it sends a job here; the dispatcher runs each job as background work it owns
/// (``ActorContext/run(_:)``: cancelled and awaited when it stops, never fire-and-forget)
/// and posts the outcome to the loop's inbox.
///
/// Its mailbox is bounded with the `fail` policy: a loop that finds it full answers the
/// request `-BUSY` at once (it did not take effect). Each connection has at most one job
/// here or running, so background tasks are bounded by the open connections.
struct Dispatcher: Behavior {
    /// A job for the backend.
    enum Message: Sendable {
        /// Run `command` on `connection`; post the outcome for `key`.
        case execute(Command, on: BackendConnection, for: ConnectionKey)
        /// Render the Prometheus text for `key`'s HTTP request.
        case metrics(for: ConnectionKey)
        /// The connection closed: end it in the backend.
        case disconnect(BackendConnection)
    }

    let backend: Backend
    let inbox: LoopInbox

    mutating func receive(_ message: Message, context: ActorContext<Message>) async throws {
        let (backend, inbox) = (self.backend, self.inbox)
        switch message {
        case .execute(let command, let connection, let key):
            context.run {
                let result: Result<Reply, ErrorReply>
                do throws(ErrorReply) {
                    result = .success(try await backend.execute(command, on: connection))
                } catch {
                    result = .failure(error)
                }
                inbox.post(.completed(key, .reply(result)))
            }
        case .metrics(let key):
            context.run {
                inbox.post(.completed(key, .metrics(await backend.metricsText())))
            }
        case .disconnect(let connection):
            context.run { await backend.disconnect(connection) }
        }
    }
}
