import Testing
import TroupeTesting
@testable import TroupeStore

/// The group-commit writer on both drivers: writes waiting together share a transaction,
/// each caller gets its own outcome.
@Suite("Group commit", .timeLimit(.minutes(1)))
struct GroupCommitTests {
    private static let addUser = "INSERT INTO users (name, password_hash, is_admin, created_at) VALUES ($1, $2, $3, $4) RETURNING id"

    /// Runs `body` with a pool fixture (migrated) and a started writer on its pool.
    private func withWriter(
        _ kind: DriverKind,
        options: WriterOptions = WriterOptions(),
        _ body: (PoolFixture, GroupCommitWriter) async throws -> Void
    ) async throws {
        try await PoolFixture.with(kind, migrate: true) { fixture in
            let writer = GroupCommitWriter(pool: fixture.pool, options: options)
            try await fixture.system.start(writer, name: "writer")
            try await body(fixture, writer)
        }
    }

    /// The writer's counters once no group is in flight and nothing is pending. Callers hear
    /// of their outcome from the connection's thread, a moment before the writer counts it.
    private func settled(_ writer: GroupCommitWriter) async throws -> WriterMetrics {
        try await poll("the writer to settle", { try await writer.metrics() }, until: { $0.inFlight == 0 && $0.pending == 0 })
    }

    @Test("1,000 concurrent writes share far fewer transactions, and all are there after reopening the database", arguments: DriverKind.allCases)
    func thousandConcurrentWrites(_ kind: DriverKind) async throws {
        try await withWriter(kind) { fixture, writer in
            let user = try await writer.insert(Self.addUser, ["alice", "h", false, 0])
            let writes = 1_000
            let ids = try await withThrowingTaskGroup(of: Int64.self) { group in
                for index in 0..<writes {
                    group.addTask {
                        try await writer.insert(
                            "INSERT INTO room_messages (room, user_id, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
                            ["lobby", .integer(user), .blob(Array("message \(index)".utf8)), .integer(Int64(index))]
                        )
                    }
                }
                return try await group.reduce(into: Set<Int64>()) { $0.insert($1) }
            }
            #expect(ids.count == writes, "each caller got its own row id")

            let metrics = try await settled(writer)
            #expect(metrics.writes == writes + 1)
            #expect(metrics.failedWrites == 0)
            #expect(metrics.groupSizes.reduce(0) { $0 + $1.key * $1.value } == writes + 1)
            #expect(metrics.groupSizes.values.reduce(0, +) == metrics.transactions)
            // The first write of the burst commits alone; the rest pile up behind each commit.
            #expect(metrics.transactions <= writes / 10, "\(metrics.transactions) transactions for \(writes) writes: \(metrics.groupSizes)")
            #expect(metrics.largestGroup > 1)

            // Acknowledged means durable: close everything, reopen, count.
            await fixture.system.shutdown()
            let reopened = try fixture.database.connect()
            defer { reopened.close() }
            let stored = try reopened.query("SELECT id FROM room_messages WHERE room = $1", ["lobby"]).map { try $0.decode(Int64.self, at: 0) }
            #expect(Set(stored) == ids)
        }
    }

    @Test("bad writes in a group fail alone; the rest of their group commits", arguments: DriverKind.allCases)
    func badWriteFailsAlone(_ kind: DriverKind) async throws {
        try await withWriter(kind) { fixture, writer in
            _ = try await writer.insert(Self.addUser, ["taken", "h", false, 0])
            // A first write holds its group's transaction open on the connection thread, so
            // the next ten writes all wait and form one group.
            let gate = BlockingGate()
            async let first = writer.write { connection throws(DatabaseError) in
                gate.wait()
                return try connection.queryFirst(Self.addUser, ["first", "h", false, 1])!.decode(Int64.self, at: 0)
            }
            await gate.arrivals(1)
            // Two of the ten take a name that exists.
            let names = (0..<10).map { $0 == 4 || $0 == 7 ? "taken" : "user\($0)" }
            let outcomes = try await withThrowingTaskGroup(of: (Int, Result<Int64, DatabaseError>).self) { group in
                for (index, name) in names.enumerated() {
                    group.addTask {
                        (index, await outcome { () throws(DatabaseError) in try await writer.insert(Self.addUser, [.text(name), "h", false, 2]) })
                    }
                }
                try await poll("ten writes pending", { try await writer.metrics() }, until: { $0.pending == names.count })
                gate.open()
                return try await group.reduce(into: [Int: Result<Int64, DatabaseError>]()) { $0[$1.0] = $1.1 }
            }
            #expect(try await first > 0)
            #expect(outcomes.count == names.count)
            for (index, result) in outcomes {
                let name = names[index]
                if name == "taken" {
                    #expect(result.failure?.kind == .uniqueViolation(constraint: "users_name_key"))
                } else {
                    #expect((try? result.get()) != nil, "\(name) should have committed: \(result)")
                }
            }
            let metrics = try await settled(writer)
            #expect(metrics.groupSizes == [1: 2, 10: 1], "the setup write, the held write, then one group of ten")
            #expect(metrics.transactions == 3)
            #expect(metrics.isolatedGroups == 1, "the group of ten ran again with a savepoint per write")
            #expect(metrics.writes == 10)
            #expect(metrics.failedWrites == 2)
            let count = try await fixture.pool.query("SELECT COUNT(*) FROM users", idempotent: true)[0].decode(Int.self, at: 0)
            #expect(count == 10)  // taken, first, and eight of the ten
        }
    }

    @Test("a failure of the group itself fails every write of the group, and none is stored", arguments: [DriverKind.sqlite])
    func groupFailureFailsEveryWrite(_ kind: DriverKind) async throws {
        try await withWriter(kind) { fixture, writer in
            let gate = BlockingGate()
            async let held = writer.write { _ in gate.wait() }
            await gate.arrivals(1)
            async let good = outcome { () throws(DatabaseError) in try await writer.insert(Self.addUser, ["good", "h", false, 0]) }
            async let doomed = outcome { () throws(DatabaseError) in
                try await writer.write { _ throws(DatabaseError) in
                    throw DatabaseError(.unavailable, reason: "the disk went away")
                }
            }
            try await poll("two writes pending", { try await writer.metrics() }, until: { $0.pending == 2 })
            gate.open()
            try await held
            #expect(await good.failure?.reason == "the disk went away")
            #expect(await doomed.failure?.kind == .unavailable)
            let metrics = try await settled(writer)
            #expect(metrics.failedTransactions == 1)
            #expect(metrics.failedWrites == 2)
            let count = try await fixture.pool.query("SELECT COUNT(*) FROM users", idempotent: true)[0].decode(Int.self, at: 0)
            #expect(count == 0)
        }
    }

    @Test("one write more than maxPending fails at once as overloaded, not a timeout", arguments: [DriverKind.sqlite])
    func pendingBoundAtTheEdge(_ kind: DriverKind) async throws {
        try await withWriter(kind, options: try WriterOptions(maxPending: 2, maxGroupSize: 2)) { fixture, writer in
            let gate = BlockingGate()
            async let held = writer.write { _ in gate.wait() }
            await gate.arrivals(1)
            async let a = writer.insert(Self.addUser, ["a", "h", false, 0])
            async let b = writer.insert(Self.addUser, ["b", "h", false, 0])
            try await poll("two writes pending", { try await writer.metrics() }, until: { $0.pending == 2 })
            let refused = await #expect(throws: DatabaseError.self) { try await writer.insert(Self.addUser, ["c", "h", false, 0]) }
            #expect(refused?.kind == .overloaded)
            #expect(refused?.isRetryable == false)
            #expect(refused?.reason.contains("2 writes are already waiting") == true)
            gate.open()
            try await held
            _ = try await (a, b)
            let metrics = try await settled(writer)
            #expect(metrics.queueFull == 1)
            #expect(metrics.groupSizes == [1: 1, 2: 1])
        }
    }

    @Test("at most maxGroupsInFlight groups commit at once, each on its own connection")
    func groupsInFlightBound() async throws {
        try await withWriter(.postgres, options: try WriterOptions(maxGroupSize: 1, maxGroupsInFlight: 2)) { fixture, writer in
            let gate = BlockingGate()
            let names = ["a", "b", "c"]
            try await withThrowingTaskGroup(of: Int64.self) { group in
                for name in names {
                    group.addTask {
                        try await writer.write { connection throws(DatabaseError) in
                            gate.wait()
                            return try connection.queryFirst(Self.addUser, [.text(name), "h", false, 0])!.decode(Int64.self, at: 0)
                        }
                    }
                }
                await gate.arrivals(2)
                let metrics = try await poll("two groups in flight, one write pending", { try await writer.metrics() }, until: { $0.inFlight == 2 && $0.pending == 1 })
                #expect(metrics.transactions == 0)
                #expect(try await fixture.pool.metrics().inUse == 2)
                gate.open()
                try await group.waitForAll()
            }
            let metrics = try await settled(writer)
            #expect(metrics.groupSizes == [1: 3])
            #expect(metrics.writes == 3)
        }
    }
}
