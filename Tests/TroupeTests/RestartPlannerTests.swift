import Testing
@testable import Troupe

/// The restart rules, table by table, on the pure planner. Each table is OTP's behaviour
/// (`supervisor.erl`: `do_restart`, `restart/3`, `terminate_children`, `del_child`,
/// `add_restart`).
@Suite struct RestartPlannerTests {
    private func planner(
        _ strategy: RestartStrategy = .oneForOne,
        max: Int = 3,
        period: Duration = .seconds(10),
        keepsEndedChildren: Bool = true
    ) throws -> RestartPlanner {
        RestartPlanner(
            strategy: strategy, intensity: try RestartIntensity(maxRestarts: max, within: period), backoff: nil,
            keepsEndedChildren: keepsEndedChildren, seed: 1
        )
    }

    private static let boom = TestFailure("boom")

    // MARK: Exit reasons

    /// (reason, is a failure, is a shutdown)
    static let kinds: [(ExitReason, Bool, Bool)] = [
        (.normal, false, false),
        (.stopped, false, true),
        (.shutdown(reason: nil), false, true),
        (.shutdown(reason: "drained"), false, true),
        (.escalated(child: ActorPath("/root/a")!, error: boom), false, true),
        (.failed(boom), true, false),
        (.startFailed(boom), true, false),
        (.cancelled, true, false),
    ]

    @Test(arguments: kinds.indices)
    func everyReasonIsNormalAShutdownOrAFailure(_ row: Int) {
        let (reason, failure, shutdown) = Self.kinds[row]
        #expect(reason.isFailure == failure, "\(reason)")
        #expect(reason.isShutdown == shutdown, "\(reason)")
    }

    @Test func shutdownReasonsDescribeTheirTerm() {
        #expect(ExitReason.shutdown(reason: nil).description == "shutdown")
        #expect(ExitReason.shutdown(reason: "drained").description == "shutdown: drained")
    }

    // MARK: Restart types

    /// What becomes of a child that ended with `reason`, by restart type: restarted, down
    /// but kept among a supervisor's children, or gone from the tree.
    enum Outcome: Sendable { case restarted, staysDown, leaves }

    /// (reason, permanent, transient, temporary)
    static let outcomes: [(ExitReason, Outcome, Outcome, Outcome)] = [
        (.normal, .restarted, .staysDown, .leaves),
        (.stopped, .restarted, .staysDown, .leaves),
        (.shutdown(reason: nil), .restarted, .staysDown, .leaves),
        (.shutdown(reason: "drained"), .restarted, .staysDown, .leaves),
        (.escalated(child: ActorPath("/root/a")!, error: boom), .restarted, .staysDown, .leaves),
        (.failed(boom), .restarted, .restarted, .leaves),
        (.startFailed(boom), .restarted, .restarted, .leaves),
        (.cancelled, .restarted, .restarted, .leaves),
    ]

    private func outcome(of decision: RestartPlanner.Decision) -> Outcome? {
        switch decision {
        case .restart(stop: [], start: [0], delay: .zero): .restarted
        case .keepDown(leavesTree: false): .staysDown
        case .keepDown(leavesTree: true): .leaves
        default: nil
        }
    }

    @Test(arguments: outcomes.indices)
    func theRestartTypeDecidesWhetherAChildComesBackAndWhetherItStays(_ row: Int) throws {
        let (reason, permanent, transient, temporary) = Self.outcomes[row]
        for (type, expected) in [(RestartType.permanent, permanent), (.transient, transient), (.temporary, temporary)] {
            var plan = try planner()
            let decision = plan.childEnded(at: 0, of: [type], reason: reason, childRestarts: 0, now: .zero)
            #expect(outcome(of: decision) == expected, "\(type) after \(reason)")
        }
    }

    /// An ordinary actor's spawned children leave when they end for good, whatever their
    /// type (OTP's `simple_one_for_one`); restarts are decided as under a supervisor.
    @Test(arguments: outcomes.indices)
    func anActorsSpawnedChildrenLeaveWhenTheyEndForGood(_ row: Int) throws {
        let (reason, permanent, transient, temporary) = Self.outcomes[row]
        for (type, underSupervisor) in [(RestartType.permanent, permanent), (.transient, transient), (.temporary, temporary)] {
            var plan = try planner(keepsEndedChildren: false)
            let decision = plan.childEnded(at: 0, of: [type], reason: reason, childRestarts: 0, now: .zero)
            let expected: Outcome = underSupervisor == .restarted ? .restarted : .leaves
            #expect(outcome(of: decision) == expected, "\(type) after \(reason)")
        }
    }

    // MARK: Strategies

    struct GroupCase: Sendable, CustomTestStringConvertible {
        let strategy: RestartStrategy
        let siblings: [RestartType]
        let ended: Int
        let stop: [Int]
        let start: [Int]
        var testDescription: String { "\(strategy), \(siblings), child \(ended) failed" }
    }

    static let groups: [GroupCase] = [
        GroupCase(strategy: .oneForOne, siblings: [.permanent], ended: 0, stop: [], start: [0]),
        GroupCase(strategy: .oneForAll, siblings: [.permanent, .permanent, .permanent, .permanent], ended: 1,
                  stop: [3, 2, 0], start: [0, 1, 2, 3]),
        GroupCase(strategy: .restForOne, siblings: [.permanent, .permanent, .permanent, .permanent], ended: 1,
                  stop: [3, 2], start: [1, 2, 3]),
        // Every non-temporary child of the group starts again, transient ones included
        // (down or not); temporary ones are stopped and not started.
        GroupCase(strategy: .oneForAll, siblings: [.permanent, .temporary, .transient, .permanent], ended: 3,
                  stop: [2, 1, 0], start: [0, 2, 3]),
        GroupCase(strategy: .oneForAll, siblings: [.transient, .temporary, .permanent], ended: 0,
                  stop: [2, 1], start: [0, 2]),
        GroupCase(strategy: .restForOne, siblings: [.permanent, .temporary, .transient, .permanent], ended: 0,
                  stop: [3, 2, 1], start: [0, 2, 3]),
        GroupCase(strategy: .restForOne, siblings: [.permanent, .temporary, .transient, .permanent], ended: 2,
                  stop: [3], start: [2, 3]),
        GroupCase(strategy: .restForOne, siblings: [.temporary, .permanent, .temporary], ended: 1,
                  stop: [2], start: [1]),
        GroupCase(strategy: .restForOne, siblings: [.permanent, .permanent], ended: 1, stop: [], start: [1]),
    ]

    @Test(arguments: groups)
    func aGroupRestartStartsEveryNonTemporaryChildOfTheGroup(_ group: GroupCase) throws {
        var plan = try planner(group.strategy)
        let decision = plan.childEnded(
            at: group.ended, of: group.siblings, reason: .failed(Self.boom), childRestarts: 0, now: .zero
        )
        #expect(decision == .restart(stop: group.stop, start: group.start, delay: .zero))
    }

    // MARK: Intensity

    struct WindowCase: Sendable, CustomTestStringConvertible {
        let maxRestarts: Int
        let period: Duration
        /// When the child fails, and whether that failure makes the supervisor give up.
        let failures: [(at: Duration, givesUp: Bool)]
        var testDescription: String { "\(maxRestarts) in \(period): \(failures.map(\.at))" }
    }

    static let windows: [WindowCase] = [
        // A restart exactly one period old still counts (OTP: kept while R >= now - period).
        WindowCase(maxRestarts: 1, period: .seconds(5), failures: [(.zero, false), (.seconds(5), true)]),
        WindowCase(maxRestarts: 1, period: .seconds(5), failures: [(.zero, false), (.seconds(5) + .nanoseconds(1), false)]),
        WindowCase(maxRestarts: 2, period: .seconds(10), failures: [(.zero, false), (.seconds(5), false), (.seconds(10), true)]),
        WindowCase(maxRestarts: 2, period: .seconds(10), failures: [
            (.zero, false), (.seconds(5), false), (.seconds(11), false), (.seconds(12), true),
        ]),
        // Restarts at the same instant all count.
        WindowCase(maxRestarts: 2, period: .seconds(1), failures: [(.zero, false), (.zero, false), (.zero, true)]),
        // Zero tolerated: the first failure gives up.
        WindowCase(maxRestarts: 0, period: .seconds(1), failures: [(.zero, true)]),
    ]

    @Test(arguments: windows)
    func theIntensityWindowIncludesARestartExactlyOnePeriodOld(_ window: WindowCase) throws {
        var plan = try planner(max: window.maxRestarts, period: window.period)
        for (at, givesUp) in window.failures {
            let decision = plan.childEnded(
                at: 0, of: [.permanent], reason: .failed(Self.boom), childRestarts: 0, now: ClockInstant(offset: at)
            )
            #expect((decision == .escalate) == givesUp, "failure at \(at)")
        }
    }

    /// (period, restart times, now, kept)
    static let drops: [(Duration, [Duration], Duration, [Duration])] = [
        (.seconds(5), [.seconds(1), .seconds(4), .seconds(5), .seconds(9)], .seconds(10), [.seconds(5), .seconds(9)]),
        (.seconds(5), [.seconds(5)], .seconds(10) + .nanoseconds(1), []),
        (.seconds(5), [], .seconds(10), []),
    ]

    /// The same window sets a child's backoff count and a keyed actor's.
    @Test(arguments: drops.indices)
    func expiredRestartsAreThoseOlderThanOnePeriod(_ row: Int) throws {
        let (period, times, now, kept) = Self.drops[row]
        let intensity = try RestartIntensity(maxRestarts: 3, within: period)
        var instants = times.map { ClockInstant(offset: $0) }
        intensity.dropExpired(from: &instants, now: ClockInstant(offset: now))
        #expect(instants == kept.map { ClockInstant(offset: $0) })
    }

    @Test func aNewIncarnationOfTheSupervisorStartsWithNoRestartHistory() throws {
        var plan = try planner(max: 1, period: .seconds(10))
        func fail() -> RestartPlanner.Decision {
            plan.childEnded(at: 0, of: [.permanent], reason: .failed(Self.boom), childRestarts: 0, now: .zero)
        }
        #expect(fail() != .escalate)
        #expect(fail() == .escalate)
        plan.forgetRestarts()
        #expect(fail() != .escalate, "as a restarted OTP supervisor, a new process, has no history")
    }
}
