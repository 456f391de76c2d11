import Foundation
import Synchronization
import Troupe
import Testing
import TroupeTestSupport
import TroupeTesting
@testable import TroupeBackend
import TroupeStore

// Helpers of the concurrency, load and problem-table tests: many users, classified
// outcomes, bounded polling, a pool connection held on purpose, and a seeded generator.

extension BackendFixture {
    /// Registered, logged-in connections of `names`, made one after another (so a small
    /// mailbox or a slow hash does not refuse the set-up itself).
    func users(_ names: [String]) async throws -> [Client] {
        var clients: [Client] = []
        for name in names { clients.append(try await user(name)) }
        return clients
    }

    /// `count` connections of each of `names` (registered once, each connection logged in
    /// with its own token), name by name. A connection runs its requests one at a time, so
    /// a test that means concurrent requests needs a connection per request in flight.
    func connections(_ names: [String], each count: Int) async throws -> [Client] {
        var clients: [Client] = []
        for name in names {
            for _ in 0..<count { clients.append(try await user(name)) }
        }
        return clients
    }

    /// A registered, logged-in connection of `user` whose sink holds `sinkCapacity` pushes.
    func user(_ user: String, sinkCapacity: Int) async throws -> Client {
        let client = connect(sinkCapacity: sinkCapacity)
        let registered = await client.run("REGISTER", user, "password-1")
        if case .failure(let error) = registered, error.code != .conflict { throw error }
        try await client.ok("LOGIN", user, "password-1")
        return client
    }

    /// `STATS` as name → value, read on a fresh admin connection (closed afterwards).
    func stats() async throws -> [String: String] {
        let admin = try await admin()
        let text = try await admin.ok("STATS").text ?? ""
        await admin.disconnect()
        return Stats.parse(text)
    }

    /// The ids of every stored room message, read behind the backend's back.
    func storedRoomMessageIDs() async throws -> Set<Int64> {
        let rows = try await backend.services.pool.query("SELECT id FROM room_messages", [], idempotent: true)
        return Set(try rows.map { row throws(DatabaseError) in try row.decode(Int64.self, at: 0) })
    }
}

enum Stats {
    /// `name value` lines → a dictionary.
    static func parse(_ text: String) -> [String: String] {
        var lines: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { continue }
            lines[String(parts[0])] = String(parts[1])
        }
        return lines
    }
}

/// What one request came to, as the load tests classify it.
enum Outcome: Hashable, Sendable, CustomStringConvertible {
    case id(Int64)
    case busy
    case timeout
    case shutdown
    /// Anything else: a reply that is not an integer, or another error.
    case other(String)

    init(_ result: Result<Reply, ErrorReply>) {
        switch result {
        case .success(.integer(let id)): self = .id(id)
        case .success(let reply): self = .other("\(reply)")
        case .failure(let error) where error.code == .busy: self = .busy
        case .failure(let error) where error.code == .timeout: self = .timeout
        case .failure(let error) where error.code == .shutdown: self = .shutdown
        case .failure(let error): self = .other(error.text)
        }
    }

    var id: Int64? {
        if case .id(let id) = self { return id }
        return nil
    }

    var description: String {
        switch self {
        case .id(let id): ":\(id)"
        case .busy: "BUSY"
        case .timeout: "TIMEOUT"
        case .shutdown: "SHUTDOWN"
        case .other(let text): text
        }
    }
}

/// Runs `requests` at once, each its own child task, and returns their results in the
/// order given.
func concurrently(_ requests: [(Client, [String])]) async -> [Result<Reply, ErrorReply>] {
    await withTaskGroup(of: (Int, Result<Reply, ErrorReply>).self) { group in
        for (index, (client, arguments)) in requests.enumerated() {
            group.addTask { (index, await client.run(arguments)) }
        }
        var results = [Result<Reply, ErrorReply>?](repeating: nil, count: requests.count)
        for await (index, result) in group { results[index] = result }
        return results.map { $0 ?? .failure(ErrorReply(.err, "no result")) }
    }
}

/// Holds one pooled database connection until ``release()``: its body waits at a gate on
/// the pool's own connection thread (never the cooperative pool), where waiting is what the
/// thread is for. Release it on every path (`defer`), or stopping the pool waits for it.
final class PoolBlocker: Sendable {
    private let gate = BlockingGate(limit: .seconds(120))

    /// Whether the body runs (the connection is taken).
    var isHolding: Bool { gate.arrivalCount > 0 && !released.load(ordering: .acquiring) }
    private let released = Atomic<Bool>(false)

    /// Takes a connection and keeps it until released; returns then.
    func hold(_ pool: DatabasePool) async throws {
        try await pool.withConnection { [gate] _ throws(DatabaseError) in gate.block() }
    }

    func release() {
        released.store(true, ordering: .releasing)
        gate.open()
    }
}

/// A thread-safe list the concurrent tasks of a test append to.
final class Collected<Element: Sendable>: Sendable {
    private let items = Locked<[Element]>([])

    func append(_ item: Element) {
        items.withLock { $0.append(item) }
    }

    var all: [Element] { items.withLock { $0 } }
    var count: Int { items.withLock { $0.count } }
}

extension TestSink {
    /// The `dm` pushes taken, as (from, to, id).
    var directPushes: [(from: String, to: String, id: Int64)] {
        pushes.compactMap { push in
            guard case .dm(let from, let to, let id, _, _) = push else { return nil }
            return (from, to, id)
        }
    }

    /// The ids of the `message` pushes taken, in arrival order.
    var messageIDs: [Int64] {
        pushes.compactMap { push in
            guard case .message(_, let id, _, _, _) = push else { return nil }
            return id
        }
    }

    func count(of kind: String) -> Int {
        pushes.filter { $0.kind == kind }.count
    }
}
