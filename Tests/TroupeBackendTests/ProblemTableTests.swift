import Foundation
import Testing
import TroupeTestSupport
import TroupeTesting
import Troupe
@testable import TroupeBackend
import TroupeStore

/// One test per row of ARCHITECTURE.md's "problem seen in the wild → owner" table that the
/// backend owns, each named after its row. (The front's rows — the event loop, the
/// PING/HEALTH bypass — are tested with the front. The rate-limiter, shared-dictionary and
/// cache-invalidation rows are in RateLimitTests, IsolationTests and CacheTests.)
@Suite struct ProblemTableTests {
    @Test("100 concurrent messages → weights cache: one load, shared by concurrent misses, invalidated by WEIGHT")
    func concurrentMessagesShareOneWeightLoad() async throws {
        try await BackendFixture.with { fixture in
            let root = try await fixture.admin()
            try await root.ok("WEIGHT", "cheer", "3")
            // A connection runs its requests one at a time: a connection per request.
            let users = try await fixture.connections((0..<5).map { "weigher\($0)" }, each: 20)
            let before = try await fixture.backend.weights.metrics()
            // Half SAYs (each looks up the `message` weight), half ENGAGEs, all at once.
            let results = await concurrently((0..<100).map { index in
                (users[index % users.count], index.isMultiple(of: 2) ? ["SAY", "lobby", "hi \(index)"] : ["ENGAGE", "cheer"])
            })
            for (index, result) in results.enumerated() {
                let outcome = Outcome(result)
                #expect(outcome.id != nil, "request \(index): \(outcome)")
                if !index.isMultiple(of: 2) { #expect(outcome == .id(3)) }
            }
            let after = try await fixture.backend.weights.metrics()
            #expect(after.loads - before.loads == 1)
            // WEIGHT invalidates at once: the next ENGAGE anywhere sees the new weight.
            try await root.ok("WEIGHT", "cheer", "5")
            let reweighed = try await users[1].integer("ENGAGE", "cheer")
            #expect(reweighed == 5)
            let last = try await fixture.backend.weights.metrics()
            #expect(last.loads - before.loads == 2)
        }
    }

    @Test("progress fetched twice per contribution → unlock coordinator holds progress in memory; the DB is written, not re-read")
    func progressIsHeldInMemory() async throws {
        try await BackendFixture.with { fixture in
            let root = try await fixture.admin()
            try await root.ok("WEIGHT", "cheer", "3")
            let alice = try await fixture.user("alice")
            let first = try await alice.integer("ENGAGE", "cheer")
            #expect(first == 3)
            let pool = fixture.backend.services.pool
            // Behind the coordinator's back: storage now says 7.
            let changed = try await pool.execute(
                "UPDATE progression_progress SET points = 7 WHERE node_id = 'campfire' AND level = 1", idempotent: true
            )
            #expect(changed == 1)
            let progress = try await alice.ok("PROGRESS")
            #expect(progress["node"]?.text == "campfire")
            #expect(progress["progress"] == .integer(3))
            // The next contribution adds to the value in memory (3 + 3, not 7 + 3 = an unlock).
            let second = try await alice.integer("ENGAGE", "cheer")
            #expect(second == 3)
            let next = try await alice.ok("PROGRESS")
            #expect(next["progress"] == .integer(6))
            #expect(next["voting"] == .integer(0))
            let unlocks = try await alice.ok("UNLOCKS")
            #expect(unlocks.elements.isEmpty)
            // …and is written through: storage holds the coordinator's value again.
            let rows = try await pool.query("SELECT points FROM progression_progress WHERE node_id = 'campfire' AND level = 1", [], idempotent: true)
            let written = try rows.first?.decode(Int64.self, at: 0)
            #expect(written == 6)
        }
    }

    @Test("unlock stampede, duplicate unlocks → unlock coordinator applies contributions one at a time; exactly one unlock")
    func unlockStampedeUnlocksOnce() async throws {
        try await BackendFixture.with { fixture in
            let root = try await fixture.admin()
            try await root.ok("WEIGHT", "cheer", "1")
            let users = try await fixture.connections((0..<4).map { "stampede\($0)" }, each: 10)
            // Campfire level 1 costs 10: 40 contributions of 1 at once cross it many times over.
            let results = await concurrently((0..<40).map { (users[$0 % users.count], ["ENGAGE", "cheer"]) })
            #expect(results.allSatisfy { Outcome($0) == .id(1) })
            let unlocks = try await root.ok("UNLOCKS")
            #expect(unlocks.elements.count == 1)
            let unlock = unlocks.elements.first?.elements ?? []
            #expect(unlock.first?.text == "campfire")
            #expect(unlock.dropFirst().first == .integer(1))
            let rows = try await fixture.backend.services.pool.query("SELECT COUNT(*) FROM progression_unlocks", [], idempotent: true)
            let stored = try rows.first?.decode(Int64.self, at: 0)
            #expect(stored == 1)
            // Every logged-in connection hears of it once, then of the vote.
            for user in users {
                try await pollUntil("a voting push reaches every connection") { user.sink.count(of: "voting") >= 1 }
                #expect(user.sink.count(of: "unlocked") == 1)
                #expect(user.sink.count(of: "voting") == 1)
            }
            let progress = try await users[0].ok("PROGRESS")
            #expect(progress["voting"] == .integer(1))
            #expect(progress["progress"] == .integer(30)) // banked: the 30 points past the cost
        }
    }

    @Test("background work on an uncancellable context → every task has a supervisor parent; shutdown cancels it")
    func shutdownLeavesNoActorOrTask() async throws {
        try await BackendFixture.with { fixture in
            let root = try await fixture.admin()
            try await root.ok("WEIGHT", "cheer", "10")
            let users = try await fixture.users((0..<6).map { "busy\($0)" })
            let extra = try await fixture.connections(["busy0"], each: 24)
            for (index, user) in users.enumerated() {
                try await user.ok("JOIN", "room\(index % 3)")
                _ = try await user.integer("SAY", "room\(index % 3)", "hello")
                _ = try await user.integer("DM", "busy\((index + 1) % users.count)", "psst")
                try await user.ok("DMS", "busy\((index + 1) % users.count)")
            }
            // An unlock opens a vote: its timer is pending when the shutdown comes.
            _ = try await users[0].integer("ENGAGE", "cheer")
            let system = fixture.backend.system
            #expect(system.liveActorCount > 20)
            #expect(system.liveTaskCount > 0)

            // Requests in flight while the shutdown starts: each is acknowledged or refused.
            let senders = users + extra
            async let inFlight = concurrently(senders.indices.map { (senders[$0], ["SAY", "lobby", "last \($0)"]) })
            let report = await fixture.backend.shutdown(deadline: .seconds(5))
            let outcomes = await inFlight.map(Outcome.init)
            #expect(report.completed)
            #expect(system.liveActorCount == 0)
            #expect(system.liveTaskCount == 0)
            #expect(outcomes.allSatisfy { $0.id != nil || $0 == .shutdown }, "\(outcomes)")
            #expect(await users[0].fails("PING")?.code == .shutdown)

            // Nothing acknowledged was lost: a new backend on the same file has every id.
            let acknowledged = Set(outcomes.compactMap(\.id))
            try await BackendFixture.run(directory: fixture.directory) { again in
                let reader = try await again.user("busy0")
                let history = try await reader.ok("HISTORY", "lobby", "500")
                let stored = Set(history.elements.compactMap { $0.elements.first }.compactMap { reply -> Int64? in
                    if case .integer(let id) = reply { return id }
                    return nil
                })
                #expect(stored == acknowledged)
            }
        }
    }

    @Test("connection pool exhaustion → db pool and writer: bounded queues; a full one answers BUSY at once, nothing else")
    func fullPoolOrWriterQueueIsBusyAtOnce() async throws {
        try await BackendFixture.with(configure: { configuration in
            configuration.pool = try! PoolOptions(minConnections: 1, maxConnections: 1, maxWaiters: 1)
            configuration.writer = try! WriterOptions(maxPending: 4)
            // A pool this small refuses the coordinator's writes too (it logs and rebuilds).
            configuration.logger = { _, _ in }
        }) { fixture in
            // One connection per request in flight (a connection runs its requests in order).
            let writers = try await fixture.connections(["alice"], each: 10)
            let readers = try await fixture.connections(["bob"], each: 5)
            let alice = writers[0]
            let pool = fixture.backend.services.pool
            let blocker = PoolBlocker()
            let says = Collected<(room: String, outcome: Outcome)>()
            let reads = Collected<Outcome>()
            try await withThrowingTaskGroup(of: Void.self) { group in
                defer { blocker.release() }
                group.addTask { try await blocker.hold(pool) }
                try await pollUntil("the pool's only connection is held") { blocker.isHolding }

                // Ten SAYs in ten rooms: the writer's first group waits for the pool (its one
                // waiter), four writes wait in the writer, the other five are refused at once.
                for index in 0..<10 {
                    group.addTask {
                        let room = "room\(index)"
                        says.append((room, Outcome(await writers[index].run("SAY", room, "hello"))))
                    }
                }
                try await pollUntil("five SAYs are refused while the connection is held") { says.count >= 5 }
                try await pollUntil("the writer's group waits for the connection") { try await pool.metrics().waiting == 1 }
                #expect(says.all.allSatisfy { $0.outcome == .busy }, "\(says.all)")

                // The pool's wait queue is full: a read that needs a connection is refused at once.
                for reader in readers {
                    group.addTask { reads.append(Outcome(await reader.run("UNLOCKS"))) }
                }
                try await pollUntil("five reads are refused while the connection is held") { reads.count >= 5 }
                #expect(reads.all == Array(repeating: .busy, count: 5))
                #expect(blocker.isHolding)
                #expect(says.count == 5)
                blocker.release()
                try await group.waitForAll()
            }
            let outcomes = says.all
            #expect(outcomes.count == 10)
            #expect(outcomes.filter { $0.outcome == .busy }.count == 5)
            #expect(outcomes.filter { $0.outcome.id != nil }.count == 5)
            // A refused SAY did not take effect; an acknowledged one is stored. A HISTORY read
            // from storage may itself be refused while the coordinator's own writes hold this
            // one-connection pool: BUSY means retry, as a client would.
            for (room, outcome) in outcomes {
                var history: Reply?
                try await pollUntil("HISTORY \(room) is answered") {
                    let result = await alice.run("HISTORY", room)
                    if Outcome(result) == .busy { return false }
                    history = try result.get()
                    return true
                }
                #expect(history?.elements.count == (outcome == .busy ? 0 : 1), "\(room): \(outcome)")
            }
            let unlocks = await alice.run("UNLOCKS")
            #expect((try? unlocks.get()) != nil)
        }
    }

    @Test("unbounded event queue → bounded per-connection sinks: a slow connection loses its own pushes, counted; others get every push in order")
    func slowConnectionDropsOnlyItsOwnPushes() async throws {
        try await BackendFixture.with { fixture in
            let alice = try await fixture.user("alice")
            let slow = try await fixture.user("bob", sinkCapacity: 1)
            let carol = try await fixture.user("carol")
            let dave = try await fixture.user("dave")
            for client in [slow, carol, dave] { try await client.ok("JOIN", "lobby") }
            var ids: [Int64] = []
            let sent = 30 // within alice's burst of 40
            for index in 0..<sent { ids.append(try await alice.integer("SAY", "lobby", "message \(index)")) }
            for fast in [carol, dave] {
                try await pollUntil("every push reaches a fast connection") { fast.sink.messageIDs.count >= sent }
                #expect(fast.sink.messageIDs == ids)
                #expect(fast.sink.dropped == 0)
            }
            try await pollUntil("every push to the slow connection is taken or dropped") { slow.sink.pushes.count + slow.sink.dropped >= sent }
            #expect(slow.sink.pushes.count == 1)
            #expect(slow.sink.dropped == sent - 1)
            let bus = try await fixture.backend.services.bus.metrics()
            #expect(bus.sinkRefusals == sent - 1)
            #expect(bus.busMailboxHighWaterMark <= fixture.backend.configuration.busCapacity)
            // Replies are never dropped: the slow connection still gets its answers.
            let answered = try await slow.integer("SAY", "lobby", "still here")
            #expect(answered > ids.last ?? 0)
        }
    }

    @Test("session ids guessable or reusable → 256-bit random tokens, stored hashed, bound to one user")
    func tokensAreRandomHashedAndBoundToOneUser() async throws {
        try await BackendFixture.with { fixture in
            _ = try await fixture.users(["alice", "bob"])
            let first = fixture.connect(), second = fixture.connect()
            let tokenOne = try await first.ok("LOGIN", "alice", "password-1").text ?? ""
            let tokenTwo = try await second.ok("LOGIN", "alice", "password-1").text ?? ""
            let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
            for token in [tokenOne, tokenTwo] {
                // 43 base64url characters carry 258 bits; the token is 32 random bytes.
                #expect(token.utf8.count == 43)
                #expect(token.utf8.allSatisfy(alphabet.contains))
            }
            #expect(tokenOne != tokenTwo)
            // Stored only as SHA-256: the table holds the hashes, never the tokens.
            let rows = try await fixture.backend.services.pool.query("SELECT token_hash FROM auth_sessions", [], idempotent: true)
            let stored = try rows.map { row throws(DatabaseError) in try row.decode([UInt8].self, at: 0) }
            #expect(stored.contains(SHA256.digest(tokenOne.utf8)))
            #expect(stored.contains(SHA256.digest(tokenTwo.utf8)))
            #expect(!stored.contains(Array(tokenOne.utf8)) && !stored.contains(Array(tokenTwo.utf8)))
            // Bound to its user: RESUME on any connection makes it alice, nobody else.
            let elsewhere = fixture.connect()
            try await elsewhere.ok("RESUME", tokenOne)
            let resumed = try await elsewhere.ok("WHOAMI")
            #expect(resumed.text == "alice")
            var guessed = Array(tokenOne.utf8)
            guessed[guessed.count - 1] = guessed.last == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            #expect(await fixture.connect().fails("RESUME", String(decoding: guessed, as: UTF8.self))?.text == "DENIED invalid token")
            // Not reusable once revoked; the other token of the same user still works.
            try await first.ok("LOGOUT")
            let revoked = try await elsewhere.ok("WHOAMI")
            #expect(revoked == .null)
            #expect(await fixture.connect().fails("RESUME", tokenOne)?.text == "DENIED invalid token")
            try await fixture.connect().ok("RESUME", tokenTwo)
        }
    }

    @Test("one worker blocks everything → storage and password hashing on their own threads; other connections go on")
    func hashingDoesNotDelayOtherConnections() async throws {
        try await BackendFixture.with(configure: { configuration in
            configuration.kdfThreads = 2
        }) { fixture in
            let alice = try await fixture.user("alice")
            try await alice.ok("JOIN", "lobby")
            let kdf = fixture.backend.kdf
            // Both KDF threads busy with a hash that does not end until the test says so (a
            // gate stands in for a slow yescrypt), and REGISTERs queued behind them.
            let gate = BlockingGate()
            let held = (0..<2).map { _ in Task { try await kdf.run { gate.block() } } }
            try await gate.waitForArrivals(2)
            let finished = Collected<Outcome>()
            let registering = 6
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<registering {
                    group.addTask {
                        let result = await fixture.connect().run("REGISTER", "newcomer\(index)", "password-1")
                        finished.append(result.map { _ in .integer(0) }.outcome)
                    }
                }
                try await pollUntil("the REGISTERs wait for a KDF thread") { kdf.metrics.queued == registering }
                // While every KDF thread is taken, other connections' requests complete.
                let id = try await alice.integer("SAY", "lobby", "not waiting for the hashes")
                let history = try await alice.ok("HISTORY", "lobby")
                #expect(history.elements.count == 1)
                #expect(id > 0)
                #expect(finished.count == 0)
                #expect(kdf.metrics.running == 2)
                gate.open()
                try await group.waitForAll()
            }
            for task in held { try await task.value }
            #expect(finished.all == Array(repeating: .id(0), count: registering))
        }
    }

    @Test("no load shedding or priorities → a full mailbox answers BUSY at once; a refused SAY is never stored")
    func fullMailboxSheds() async throws {
        try await BackendFixture.with(configure: { configuration in
            configuration.mailboxCapacity = 1
        }) { fixture in
            let users = try await fixture.connections((0..<10).map { "shed\($0)" }, each: 10)
            let results = await concurrently((0..<200).map { (users[$0 % users.count], ["SAY", "lobby", "load \($0)"]) })
            let outcomes = results.map(Outcome.init)
            #expect(outcomes.allSatisfy { $0.id != nil || $0 == .busy }, "\(Set(outcomes.filter { $0.id == nil }))")
            let acknowledged = Set(outcomes.compactMap(\.id))
            #expect(!acknowledged.isEmpty)
            #expect(outcomes.contains(.busy), "nothing was shed: the test proves nothing")
            let history = try await users[0].ok("HISTORY", "lobby", "500")
            let stored = Set(history.elements.compactMap { $0.elements.first }.compactMap { reply -> Int64? in
                if case .integer(let id) = reply { return id }
                return nil
            })
            #expect(stored == acknowledged)
            let storedAnywhere = try await fixture.storedRoomMessageIDs()
            #expect(storedAnywhere == acknowledged)
        }
    }
}

extension Result<Reply, ErrorReply> {
    var outcome: Outcome { Outcome(self) }
}
