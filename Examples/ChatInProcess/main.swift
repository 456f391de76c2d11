// ChatInProcess: the Troupe backend embedded in a program, driven through its typed API —
// what the TCP front does for every request, without the sockets.
//
//   swift run ChatInProcess
//
// It shows, in about a second:
//   1. accounts: alice and bob register and log in (passwords hashed off the cooperative pool);
//   2. a room: both join `lobby`, alice says hello, both connections get the `message` push;
//   3. a direct message: only alice and bob ever see it;
//   4. engagement: an admin sets a weight, bob engages, the community's progress moves;
//   5. a clean shutdown: the tree stops, last started first.
import Foundation
import Troupe
import TroupeBackend
import TroupeStore

/// A connection's outbound buffer, as the front keeps one: bounded, never blocking.
final class PrintingSink: PushSink {
    let owner: String
    init(_ owner: String) { self.owner = owner }

    func offer(_ push: Push) -> Bool {
        print("  push to \(owner): \(push.kind) \(push.fields.map(describe).joined(separator: " "))")
        return true
    }
}

func describe(_ reply: Reply) -> String {
    switch reply {
    case .simple(let text): return "+\(text)"
    case .integer(let value): return ":\(value)"
    case .bulk(let bytes): return "\"\(String(decoding: bytes, as: UTF8.self))\""
    case .null: return "(nil)"
    case .array(let elements): return "[" + elements.map(describe).joined(separator: ", ") + "]"
    case .map(let fields): return "{" + fields.map { "\($0.key): \(describe($0.value))" }.joined(separator: ", ") + "}"
    }
}

/// Parses and runs one request as the front would, and prints it with its reply.
func run(_ backend: Backend, _ connection: BackendConnection, _ words: String...) async {
    let shown = words.first == "LOGIN" || words.first == "REGISTER" || words.first == "AUTH" ? words.prefix(2) + ["****"] : words[...]
    do {
        let command = try Command.parse(words.map { Array($0.utf8) })
        let reply = try await backend.execute(command, on: connection)
        print("\(connection.user?.value ?? "anonymous")> \(shown.joined(separator: " "))  →  \(describe(reply))")
    } catch {
        print("\(connection.user?.value ?? "anonymous")> \(shown.joined(separator: " "))  →  -\(error)")
    }
}

let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chat-in-process-\(getpid())").path
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: directory) }

var configuration = BackendConfiguration()
configuration.database = .sqlite(SQLiteConfiguration(path: directory + "/chat.db"))
configuration.admins = [UserName("root")!]
configuration.adminPassword = "root-password"
configuration.logLevel = .warning
let backend = try await Backend.start(configuration)

let alice = backend.connect(pushes: PrintingSink("alice"))
let bob = backend.connect(pushes: PrintingSink("bob"))
let root = backend.connect(pushes: PrintingSink("root"))

print("1. accounts")
await run(backend, alice, "REGISTER", "alice", "alice-password")
await run(backend, bob, "REGISTER", "bob", "bob-password")
await run(backend, alice, "LOGIN", "alice", "alice-password")
await run(backend, bob, "AUTH", "bob", "bob-password")
await run(backend, bob, "LOGIN", "alice", "wrong-password")

print("2. a room")
await run(backend, alice, "JOIN", "lobby")
await run(backend, bob, "JOIN", "lobby")
await run(backend, alice, "SAY", "lobby", "hello, bob")
await run(backend, bob, "HISTORY", "lobby", "10")

print("3. a direct message")
await run(backend, bob, "DM", "alice", "hi alice, just between us")
await run(backend, alice, "DMS", "bob")

print("4. engagement")
await run(backend, root, "AUTH", "root", "root-password")
await run(backend, root, "WEIGHT", "cheer", "5")
await run(backend, bob, "ENGAGE", "cheer")
await run(backend, bob, "PROGRESS")
// Pushes are offered by the event bus actor: give the last ones a moment to print.
try await Task.sleep(for: .milliseconds(100))

print("5. shutdown")
for connection in [alice, bob, root] { await backend.disconnect(connection) }
let report = await backend.shutdown(deadline: .seconds(5))
print("stopped: completed=\(report.completed) remaining tasks=\(report.remainingTasks)")
