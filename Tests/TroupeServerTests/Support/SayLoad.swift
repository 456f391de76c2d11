import Foundation
import Testing
import Troupe
import TroupeTestSupport

/// Clients that pipeline `SAY`s at a server (two batches in flight), each on a thread of its own (blocking sockets
/// must never sit on the cooperative pool), until told to stop, cut off by the server, or
/// done with `perClient` messages. Every reply is recorded against the text it answers, so a
/// test can later check what the server said it stored against what it did store.
///
/// Client `i` logs in as `users[i]` with `password` and says `c<i>-<n>` in room `room<i>`:
/// one room per client keeps each room's history within the 500 that `HISTORY` returns.
final class SayLoad: Sendable {
    struct State {
        /// Text → the reply it got (`.integer(id)` when acknowledged).
        var replies: [String: TestReply] = [:]
        var acknowledged = 0
        var finished = 0
        var stopping = false
        var failures: [String] = []
    }

    let port: Int
    let users: [String]
    let password: String
    let perClient: Int
    let batch: Int
    /// `Locked` (a pthread mutex), not `Mutex`: ThreadSanitizer sees its ordering.
    private let state = Locked(State())

    init(port: Int, users: [String], password: String, perClient: Int = 450, batch: Int = 16) {
        self.port = port
        self.users = users
        self.password = password
        self.perClient = perClient
        self.batch = batch
    }

    static func room(_ client: Int) -> String { "room\(client)" }

    func start() {
        for index in users.indices {
            let thread = Thread { [self] in
                run(client: index)
                state.withLock { $0.finished += 1 }
            }
            thread.start()
        }
    }

    var acknowledged: Int { state.withLock { $0.acknowledged } }
    var snapshot: State { state.withLock { $0 } }

    /// Asks the clients to stop after their current batch and waits (polling) until all have.
    func stop() async throws {
        state.withLock { $0.stopping = true }
        try await pollUntil("every load client has stopped", timeout: .seconds(30)) {
            state.withLock { $0.finished == users.count }
        }
    }

    private func run(client index: Int) {
        let client: TestClient
        do {
            client = try TestClient(port: port)
            let login = try client.command("AUTH", users[index], password)
            guard login == .simple("OK") else {
                state.withLock { $0.failures.append("client \(index): AUTH got \(login)") }
                return
            }
        } catch {
            state.withLock { $0.failures.append("client \(index): \(error)") }
            return
        }
        let room = Self.room(index)
        var sent = 0
        // Two batches in flight: the next is written before the replies to the last are read,
        // so the server always has requests of this client arriving (a drain meets some).
        var unanswered: [[String]] = []
        while true {
            let more = sent < perClient && !state.withLock({ $0.stopping })
            if more {
                let texts = (sent..<min(sent + batch, perClient)).map { "c\(index)-\($0)" }
                var request = ""
                for text in texts {
                    request += "*3\r\n$3\r\nSAY\r\n$\(room.utf8.count)\r\n\(room)\r\n$\(text.utf8.count)\r\n\(text)\r\n"
                }
                sent += texts.count
                unanswered.append(texts)
                do { try client.send(request) } catch { return }
            }
            guard !unanswered.isEmpty else { return }
            guard !more || unanswered.count > 1 else { continue }
            do {
                for text in unanswered.removeFirst() {
                    let reply = try client.read()
                    state.withLock { state in
                        state.replies[text] = reply
                        if case .integer = reply { state.acknowledged += 1 }
                    }
                }
            } catch {
                return  // cut off (killed, or closed by the drain): later texts have no reply
            }
        }
    }
}
