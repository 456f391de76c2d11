import Testing
import Troupe
@testable import TroupeBackend

/// Many users at once, in seeded random interleavings of DM, DMS, SAY, HISTORY and LOGOUT
/// with a re-login: no reply, push or cache entry ever holds another pair's DM.
@Suite struct IsolationTests {
    @Test("shared dictionary mixes users' messages → per-user session actors; no shared mutable state outside actors")
    func noUserEverSeesAnotherPairsMessages() async throws {
        try await IsolationScenario(seed: 0x7E57_0001).run()
    }

    @Test("isolation holds under other seeded interleavings", arguments: [UInt64(0x7E57_0002), 0x7E57_0003])
    func isolationUnderOtherSeeds(seed: UInt64) async throws {
        try await IsolationScenario(seed: seed).run()
    }
}

/// The isolation scenario: `users` users, some with two connections, each connection a
/// task running `operations` random operations chosen by a generator seeded from `seed`.
/// Each user talks with a few partners, so conversations have content and their cache
/// entries are shared by the reads and invalidated by the writes of both sides.
struct IsolationScenario {
    let seed: UInt64
    var users = 50
    var secondConnections = 10
    var partnersPerUser = 4
    var operations = 25

    /// What the connections saw: every DM acknowledged, and every DMS reply.
    final class Journal: Sendable {
        struct Read: Sendable {
            let reader: String
            let other: String
            let records: [(id: Int64, from: String, to: String)]
            /// Ids this connection sent to `other` and saw acknowledged before the read.
            let ownEarlier: [Int64]
        }

        private let state = Locked<(sent: [Int64: (from: String, to: String)], reads: [Read], failures: [String])>(([:], [], []))

        func sent(_ id: Int64, from: String, to: String) {
            state.withLock { $0.sent[id] = (from, to) }
        }

        func read(_ read: Read) {
            state.withLock { $0.reads.append(read) }
        }

        func failed(_ what: String) {
            state.withLock { $0.failures.append(what) }
        }

        var sent: [Int64: (from: String, to: String)] { state.withLock { $0.sent } }
        var reads: [Read] { state.withLock { $0.reads } }
        var failures: [String] { state.withLock { $0.failures } }
    }

    func run() async throws {
        let (seed, operations) = (self.seed, self.operations)
        try await BackendFixture.with(configure: { configuration in
            configuration.userRate = try! TokenBucketConfiguration.perSecond(100_000, burst: 100_000)
        }) { fixture in
            var generator = SplitMix64(seed: seed)
            let names = (0..<users).map { "iso\($0)" }
            var partners: [String: [String]] = [:]
            for name in names {
                partners[name] = Array(names.filter { $0 != name }.shuffled(using: &generator).prefix(partnersPerUser))
            }
            // A conversation goes both ways: each partner of u has u as a partner too.
            for name in names { for partner in partners[name] ?? [] where !(partners[partner] ?? []).contains(name) { partners[partner]?.append(name) } }
            var connections: [(user: String, client: Client)] = []
            for name in names { connections.append((name, try await fixture.user(name))) }
            for name in names.prefix(secondConnections) { connections.append((name, try await fixture.user(name))) }
            for (index, connection) in connections.enumerated() { try await connection.client.ok("JOIN", "room\(index % 3)") }

            let journal = Journal()
            let plans = connections.indices.map { index in
                (connections[index], SplitMix64(seed: seed &+ UInt64(index) &* 0x1_0000_0001), partners[connections[index].user] ?? [])
            }
            await withTaskGroup(of: Void.self) { group in
                for ((user, client), generator, partners) in plans {
                    group.addTask {
                        await Self.drive(user: user, client: client, partners: partners, operations: operations, generator: generator, journal: journal)
                    }
                }
            }

            let sent = journal.sent
            #expect(journal.failures.isEmpty, "seed \(seed): \(journal.failures.prefix(10))")
            #expect(!sent.isEmpty, "seed \(seed)")
            #expect(journal.reads.contains { !$0.records.isEmpty }, "seed \(seed): no DMS read any message: the test proves nothing")
            // Every DMS reply holds the reader's conversation with that user and nothing else,
            // and every DM the reader had sent to them before the read (invalidation).
            for read in journal.reads {
                for record in read.records {
                    let pair = Set([record.from, record.to])
                    #expect(pair == Set([read.reader, read.other]), "seed \(seed): \(read.reader) reading \(read.other) got \(record)")
                    if let stored = sent[record.id] {
                        #expect(stored.from == record.from && stored.to == record.to, "seed \(seed): id \(record.id) is \(stored), read as \(record)")
                    }
                }
                let ids = Set(read.records.map(\.id))
                let missing = read.ownEarlier.filter { !ids.contains($0) }
                #expect(missing.isEmpty, "seed \(seed): \(read.reader) reading \(read.other) misses its own acknowledged DMs \(missing): a stale cache entry")
            }
            // Every `dm` push a connection took involves its own user, with the pair it was sent in.
            for (user, client) in connections {
                for push in client.sink.directPushes {
                    #expect(push.from == user || push.to == user, "seed \(seed): \(user)'s connection got \(push)")
                    if let stored = sent[push.id] {
                        #expect(stored.from == push.from && stored.to == push.to, "seed \(seed): push \(push) but id \(push.id) is \(stored)")
                    }
                }
            }
            // Whatever the caches hold now is only their own user's conversations.
            for (user, client) in connections.prefix(users) {
                for other in partners[user] ?? [] {
                    let page = try await client.ok("DMS", other, "500")
                    for message in page.elements {
                        let fields = message.elements
                        guard fields.count == 5 else {
                            Issue.record("seed \(seed): malformed DMS record \(fields)")
                            continue
                        }
                        #expect(Set([fields[1].text ?? "", fields[2].text ?? ""]) == Set([user, other]), "seed \(seed): \(user) reading \(other) got \(fields)")
                    }
                }
            }
        }
    }

    /// One connection's random walk.
    static func drive(
        user: String, client: Client, partners: [String], operations: Int, generator: SplitMix64, journal: Journal
    ) async {
        var generator = generator
        var sentTo: [String: [Int64]] = [:]
        for step in 0..<operations {
            let other = partners.randomElement(using: &generator) ?? user
            let roll = Int.random(in: 0..<100, using: &generator)
            let arguments: [String] = switch roll {
            case 0..<35: ["DM", other, "from \(user) to \(other) #\(step)"]
            case 35..<65: ["DMS", other, "500"]
            case 65..<80: ["SAY", "room\(roll % 3)", "\(user) says \(step)"]
            case 80..<93: ["HISTORY", "room\(roll % 3)", "20"]
            default: ["LOGOUT"]
            }
            let result = await client.run(arguments)
            switch result {
            case .success(let reply):
                switch arguments[0] {
                case "DM":
                    if case .integer(let id) = reply {
                        journal.sent(id, from: user, to: other)
                        sentTo[other, default: []].append(id)
                    }
                case "DMS":
                    let records = reply.elements.map { message in
                        let fields = message.elements
                        var id: Int64 = -1
                        if case .integer(let value) = fields.first { id = value }
                        return (id: id, from: fields.count > 2 ? fields[1].text ?? "" : "", to: fields.count > 2 ? fields[2].text ?? "" : "")
                    }
                    journal.read(Journal.Read(reader: user, other: other, records: records, ownEarlier: sentTo[other] ?? []))
                case "LOGOUT":
                    // Logged out: this connection is anonymous until it logs in again.
                    if case .failure(let error) = await client.run("LOGIN", user, "password-1") {
                        journal.failed("\(user) could not log in again: \(error)")
                    }
                default:
                    break
                }
            case .failure(let error):
                journal.failed("\(user): \(arguments.joined(separator: " ")) → \(error)")
            }
        }
    }
}
