import Testing
@testable import TroupeBackend

/// The unlock coordinator's pure state machine, event by event: every test states the exact
/// writes an event returns (in the order the coordinator commits them), its pushes, and the
/// phase it leaves.
@Suite struct UnlockStateTests {
    /// `alpha` (2 levels) and `gamma` need nothing; `beta` needs `alpha` level 1. Fresh, the
    /// target is alpha 1 and the candidates after unlocking it are alpha, beta, gamma.
    static let tree = try! ProgressionTree(nodes: [
        .init(name: node("alpha"), title: "Alpha", costs: [10, 20]),
        .init(name: node("beta"), title: "Beta", prerequisites: [node("alpha")], costs: [5]),
        .init(name: node("gamma"), title: "Gamma", costs: [7]),
    ])
    static let votingMillis: Int64 = 1_000
    static let alpha1 = level("alpha", 1)

    /// A fresh state: nothing unlocked, nothing stored yet.
    static func fresh(tree: ProgressionTree = tree, now: Int64 = 0) -> (UnlockState, UnlockState.Effects) {
        UnlockState.restore(
            tree: tree, votingMillis: votingMillis, unlocked: [], target: nil, progress: 0, banked: 0, voting: nil, mine: [:],
            nextVotingID: 1, now: now
        )
    }

    /// Fresh, then `points` credited by user 1 (kind `chat`) at time 1.
    static func collecting(progress points: Int64) -> UnlockState {
        var (state, _) = fresh()
        if points > 0 { _ = state.credit(user: 1, kind: "chat", points: points, at: 1) }
        return state
    }

    /// Alpha 1 crossed by user 2 at time 100 with `excess` points beyond its cost, so
    /// voting session 1 is open over alpha, beta, gamma until 1,100.
    static func voting(excess: Int64 = 0) -> UnlockState {
        var state = collecting(progress: 8)
        _ = state.credit(user: 2, kind: "chat", points: 2 + excess, at: 100)
        return state
    }

    // MARK: - Fresh

    @Test func aFreshStateTargetsTheFirstRootAtLevelOneAndPersistsIt() {
        let (state, effects) = Self.fresh(now: 3)
        #expect(state.phase == .collecting(target: Self.alpha1, cost: 10, progress: 0))
        #expect(effects.writes == [.state(target: Self.alpha1, banked: 0, votingID: nil, at: 3)])
        #expect(effects.pushes.isEmpty)
        #expect(effects.votingOpened == nil)
        #expect(state.snapshot(for: 1) == .init(node: node("alpha"), level: 1, progress: 0, cost: 10, mine: 0, voting: false))
    }

    // MARK: - Credits

    struct CreditCase: Sendable, CustomTestStringConvertible {
        let before: Int64
        let points: Int64
        /// Points that go to the target (its ledger row) and points banked beyond the cost.
        let applied: Int64
        let banked: Int64
        var unlocks: Bool { before + applied == 10 }
        var testDescription: String { "progress \(before) + \(points)" }
    }

    @Test(arguments: [
        CreditCase(before: 0, points: 0, applied: 0, banked: 0),
        CreditCase(before: 0, points: 3, applied: 3, banked: 0),
        CreditCase(before: 0, points: 9, applied: 9, banked: 0),
        CreditCase(before: 5, points: 4, applied: 4, banked: 0),
        CreditCase(before: 9, points: 1, applied: 1, banked: 0),
        CreditCase(before: 8, points: 5, applied: 2, banked: 3),
        CreditCase(before: 0, points: 25, applied: 10, banked: 15),
    ])
    func aCreditGoesToTheTargetAndTheCrossingOneUnlocksAndBanksTheExcess(_ row: CreditCase) {
        var state = Self.collecting(progress: row.before)
        let effects = state.credit(user: 2, kind: "chat", points: row.points, at: 100)
        let ledger = UnlockState.Write.ledger(user: 2, kind: "chat", points: row.applied, target: Self.alpha1, at: 100)
        guard row.unlocks else {
            #expect(effects.writes == [ledger, .progress(Self.alpha1, points: row.before + row.points, at: 100)])
            #expect(effects.pushes.isEmpty)
            #expect(effects.votingOpened == nil)
            #expect(state.phase == .collecting(target: Self.alpha1, cost: 10, progress: row.before + row.points))
            #expect(state.unlocked.isEmpty)
            #expect(state.snapshot(for: 2).mine == row.applied)
            return
        }
        let candidates = [node("alpha"), node("beta"), node("gamma")]
        var writes: [UnlockState.Write] = [ledger, .progress(Self.alpha1, points: 10, at: 100), .unlock(Self.alpha1, at: 100)]
        // The excess gets a ledger row of its own, with no target: it is banked.
        if row.banked > 0 { writes.append(.ledger(user: 2, kind: "chat", points: row.banked, target: nil, at: 100)) }
        writes += [
            .openVoting(id: 1, openedAt: 100, endsAt: 1_100, candidates: candidates),
            .state(target: nil, banked: row.banked, votingID: 1, at: 100),
        ]
        #expect(effects.writes == writes)
        #expect(effects.pushes == [.unlocked(node: "alpha", level: 1, at: 100), .voting(endsAt: 1_100, candidates: ["alpha", "beta", "gamma"])])
        #expect(effects.votingOpened?.id == 1)
        #expect(effects.votingOpened?.endsAt == 1_100)
        #expect(state.phase == .voting(.init(id: 1, endsAt: 1_100, candidates: candidates)))
        #expect(state.unlocked == [Self.alpha1])
        #expect(state.banked == row.banked)
        // Points toward the unlocked target are spent: `mine` now counts banked points.
        #expect(state.snapshot(for: 2) == .init(node: nil, level: 0, progress: row.banked, cost: 0, mine: row.banked, voting: true))
        #expect(state.snapshot(for: 1).mine == 0)
    }

    @Test func mineCountsOnlyTheCallersPoints() {
        var state = Self.collecting(progress: 0)
        _ = state.credit(user: 1, kind: "chat", points: 2, at: 1)
        _ = state.credit(user: 2, kind: "like", points: 3, at: 2)
        _ = state.credit(user: 1, kind: "like", points: 1, at: 3)
        #expect(state.snapshot(for: 1) == .init(node: node("alpha"), level: 1, progress: 6, cost: 10, mine: 3, voting: false))
        #expect(state.snapshot(for: 2).mine == 3)
        #expect(state.snapshot(for: 3).mine == 0)
    }

    @Test func theCrossingUnlocksExactlyOnceAndLaterCreditsAreBanked() {
        var state = Self.voting(excess: 3)
        for (user, points, at) in [(Int64(1), Int64(4), Int64(200)), (3, 10, 300), (1, 0, 400)] {
            let effects = state.credit(user: user, kind: "chat", points: points, at: at)
            #expect(effects.writes == [
                .ledger(user: user, kind: "chat", points: points, target: nil, at: at),
                .state(target: nil, banked: state.banked, votingID: 1, at: at),
            ])
            #expect(effects.pushes.isEmpty)
            #expect(effects.votingOpened == nil)
            #expect(!effects.writes.contains { if case .unlock = $0 { true } else { false } })
        }
        #expect(state.banked == 3 + 4 + 10)
        #expect(state.unlocked == [Self.alpha1])
        #expect(state.snapshot(for: 1) == .init(node: nil, level: 0, progress: 17, cost: 0, mine: 4, voting: true))
        #expect(state.snapshot(for: 2).mine == 3)
        #expect(state.snapshot(for: 3).mine == 10)
    }

    @Test func theLastUnlockCompletesProgressionWithoutVotingAndLaterCreditsAreBanked() throws {
        let tree = try ProgressionTree(nodes: [.init(name: node("only"), title: "Only", costs: [5])])
        var (state, _) = Self.fresh(tree: tree)
        let effects = state.credit(user: 1, kind: "chat", points: 7, at: 50)
        let only = level("only", 1)
        #expect(effects.writes == [
            .ledger(user: 1, kind: "chat", points: 5, target: only, at: 50), .progress(only, points: 5, at: 50), .unlock(only, at: 50),
            .ledger(user: 1, kind: "chat", points: 2, target: nil, at: 50), .state(target: nil, banked: 2, votingID: nil, at: 50),
        ])
        #expect(effects.pushes == [.unlocked(node: "only", level: 1, at: 50)])
        #expect(effects.votingOpened == nil)
        #expect(state.phase == .complete)

        let later = state.credit(user: 2, kind: "chat", points: 4, at: 60)
        #expect(later.writes == [.ledger(user: 2, kind: "chat", points: 4, target: nil, at: 60), .state(target: nil, banked: 6, votingID: nil, at: 60)])
        #expect(later.pushes.isEmpty)
        #expect(state.phase == .complete)
        #expect(state.snapshot(for: 2) == .init(node: nil, level: 0, progress: 6, cost: 0, mine: 4, voting: false))
        #expect(throws: ErrorReply(.denied, "no voting session")) { _ = try state.vote(user: 1, node: node("only"), at: 70) }
    }

    // MARK: - Votes

    @Test func voteOutsideVotingIsDeniedAndChangesNothing() {
        var state = Self.collecting(progress: 4)
        #expect(throws: ErrorReply(.denied, "no voting session")) { _ = try state.vote(user: 1, node: node("alpha"), at: 5) }
        #expect(state.phase == .collecting(target: Self.alpha1, cost: 10, progress: 4))
    }

    @Test(arguments: ["zeta", "beta"])
    func voteForANonCandidateIsNotFound(_ name: String) {
        // Session 4 is over alpha and gamma: `beta` is in the tree but not a candidate
        // (its prerequisite is not unlocked), `zeta` is not in the tree at all.
        let open = UnlockState.Voting(id: 4, endsAt: 9_000, candidates: [node("alpha"), node("gamma")], votes: [2: node("gamma")])
        var (state, _) = UnlockState.restore(
            tree: Self.tree, votingMillis: Self.votingMillis, unlocked: [level("gamma", 1)], target: nil, progress: 0, banked: 0,
            voting: open, mine: [:], nextVotingID: 5, now: 8_000
        )
        #expect(throws: ErrorReply(.notFound, "'\(name)' is not a candidate")) { _ = try state.vote(user: 1, node: node(name), at: 8_500) }
        #expect(state.phase == .voting(open))
    }

    @Test func aSecondVoteReplacesTheFirst() throws {
        var state = Self.voting()
        let first = try state.vote(user: 1, node: node("gamma"), at: 200)
        #expect(first.writes == [.vote(session: 1, user: 1, node: node("gamma"), at: 200)])
        #expect(first.pushes.isEmpty)
        let second = try state.vote(user: 1, node: node("beta"), at: 300)
        #expect(second.writes == [.vote(session: 1, user: 1, node: node("beta"), at: 300)])
        guard case .voting(let voting) = state.phase else { Issue.record("not voting: \(state.phase)"); return }
        #expect(voting.votes == [1: node("beta")])
    }

    // MARK: - Closing a vote

    struct CloseCase: Sendable, CustomTestStringConvertible {
        /// Votes in the order cast: (user, node).
        let votes: [(Int64, String)]
        let winner: String
        let testDescription: String
    }

    @Test(arguments: [
        CloseCase(votes: [], winner: "alpha", testDescription: "no votes: the first listed"),
        CloseCase(votes: [(1, "gamma")], winner: "gamma", testDescription: "one vote"),
        CloseCase(votes: [(1, "gamma"), (2, "gamma"), (3, "beta")], winner: "gamma", testDescription: "most votes"),
        CloseCase(votes: [(1, "gamma"), (2, "beta")], winner: "beta", testDescription: "a tie: the first listed of the tied"),
        CloseCase(votes: [(1, "gamma"), (2, "alpha")], winner: "alpha", testDescription: "a tie with the first candidate"),
        CloseCase(
            votes: [(1, "gamma"), (2, "gamma"), (1, "beta"), (3, "beta"), (4, "alpha")], winner: "beta",
            testDescription: "a replaced vote no longer counts"
        ),
    ])
    func closingAVotePicksTheWinner(_ row: CloseCase) throws {
        var state = Self.voting()
        for (user, name) in row.votes { _ = try state.vote(user: user, node: node(name), at: 500) }
        let effects = state.closeVoting(id: 1, at: 1_100)
        let winner = node(row.winner)
        let target = NodeLevel(node: winner, level: row.winner == "alpha" ? 2 : 1)
        #expect(effects.writes == [
            .closeVoting(id: 1, at: 1_100, winner: winner), .creditBanked(target), .progress(target, points: 0, at: 1_100),
            .state(target: target, banked: 0, votingID: nil, at: 1_100),
        ])
        #expect(effects.pushes.isEmpty)
        #expect(effects.votingOpened == nil)
        #expect(state.phase == .collecting(target: target, cost: Self.tree.cost(of: target)!, progress: 0))
    }

    @Test func bankedPointsGoToTheWinnerAndCountAsTheBankersOwn() throws {
        var state = Self.voting(excess: 1)
        _ = state.credit(user: 3, kind: "chat", points: 2, at: 200)
        _ = try state.vote(user: 3, node: node("alpha"), at: 300)
        let effects = state.closeVoting(id: 1, at: 1_100)
        let alpha2 = level("alpha", 2)
        #expect(effects.writes == [
            .closeVoting(id: 1, at: 1_100, winner: node("alpha")), .creditBanked(alpha2), .progress(alpha2, points: 3, at: 1_100),
            .state(target: alpha2, banked: 0, votingID: nil, at: 1_100),
        ])
        #expect(state.phase == .collecting(target: alpha2, cost: 20, progress: 3))
        #expect(state.banked == 0)
        #expect(state.snapshot(for: 2) == .init(node: node("alpha"), level: 2, progress: 3, cost: 20, mine: 1, voting: false))
        #expect(state.snapshot(for: 3).mine == 2)
    }

    @Test func bankedPointsReachingTheWinnersCostUnlockItAtOnceAndVotingOpensAgain() throws {
        var state = Self.voting(excess: 4)
        _ = state.credit(user: 3, kind: "chat", points: 2, at: 200)
        _ = try state.vote(user: 3, node: node("beta"), at: 300)
        // 6 banked, beta costs 5: beta unlocks at once, 1 stays banked, voting 2 opens.
        let effects = state.closeVoting(id: 1, at: 1_100)
        let beta1 = level("beta", 1)
        #expect(effects.writes == [
            .closeVoting(id: 1, at: 1_100, winner: node("beta")), .creditBanked(beta1), .progress(beta1, points: 5, at: 1_100),
            .unlock(beta1, at: 1_100), .openVoting(id: 2, openedAt: 1_100, endsAt: 2_100, candidates: [node("alpha"), node("gamma")]),
            .state(target: nil, banked: 1, votingID: 2, at: 1_100),
        ])
        #expect(effects.pushes == [.unlocked(node: "beta", level: 1, at: 1_100), .voting(endsAt: 2_100, candidates: ["alpha", "gamma"])])
        #expect(effects.votingOpened?.id == 2)
        #expect(effects.votingOpened?.endsAt == 2_100)
        #expect(state.unlocked == [Self.alpha1, beta1])
        #expect(state.phase == .voting(.init(id: 2, endsAt: 2_100, candidates: [node("alpha"), node("gamma")])))
        #expect(state.snapshot(for: 3) == .init(node: nil, level: 0, progress: 1, cost: 0, mine: 0, voting: true))
        // The new session is a real one: the old id is stale, votes go to session 2.
        #expect(try state.vote(user: 1, node: node("gamma"), at: 1_200).writes == [.vote(session: 2, user: 1, node: node("gamma"), at: 1_200)])
    }

    @Test func closingAStaleOrAlreadyClosedSessionDoesNothing() {
        var state = Self.voting(excess: 2)
        let before = state.phase
        for id in [Int64(0), 2, 99] {
            let effects = state.closeVoting(id: id, at: 5_000)
            #expect(effects.writes.isEmpty, "id \(id)")
            #expect(effects.pushes.isEmpty)
            #expect(state.phase == before)
        }
        _ = state.closeVoting(id: 1, at: 1_100)
        let after = state.phase
        let again = state.closeVoting(id: 1, at: 1_200)
        #expect(again.writes.isEmpty)
        #expect(again.pushes.isEmpty)
        #expect(state.phase == after)
        #expect(state.unlocked == [Self.alpha1])
    }

    // MARK: - Restore

    @Test func restoreRebuildsCollectingWithProgressAndMine() {
        let (state, effects) = UnlockState.restore(
            tree: Self.tree, votingMillis: Self.votingMillis, unlocked: [], target: Self.alpha1, progress: 6, banked: 0, voting: nil,
            mine: [1: 4, 2: 2], nextVotingID: 5, now: 900
        )
        #expect(state.phase == .collecting(target: Self.alpha1, cost: 10, progress: 6))
        #expect(effects.writes.isEmpty)
        #expect(effects.votingOpened == nil)
        #expect(state.snapshot(for: 1) == .init(node: node("alpha"), level: 1, progress: 6, cost: 10, mine: 4, voting: false))
        // The next session takes the id storage gave.
        var next = state
        let crossing = next.credit(user: 2, kind: "chat", points: 4, at: 950)
        #expect(crossing.votingOpened?.id == 5)
    }

    @Test func restoreUnlocksATargetWhoseCostFellBelowItsProgress() {
        // The operator lowered alpha 1's cost between runs: the stored progress passes it.
        let (state, effects) = UnlockState.restore(
            tree: Self.tree, votingMillis: Self.votingMillis, unlocked: [], target: Self.alpha1, progress: 13, banked: 0, voting: nil,
            mine: [1: 13], nextVotingID: 1, now: 900
        )
        #expect(effects.writes == [
            .progress(Self.alpha1, points: 10, at: 900), .unlock(Self.alpha1, at: 900),
            .openVoting(id: 1, openedAt: 900, endsAt: 1_900, candidates: [node("alpha"), node("beta"), node("gamma")]),
            .state(target: nil, banked: 3, votingID: 1, at: 900),
        ])
        #expect(effects.pushes.map(\.kind) == ["unlocked", "voting"])
        #expect(state.unlocked == [Self.alpha1])
        #expect(state.banked == 3)
    }

    @Test func restoreRebuildsAnOpenVoteWithItsVotesAndArmsItsTimer() {
        let voting = UnlockState.Voting(
            id: 3, endsAt: 5_000, candidates: [node("alpha"), node("beta"), node("gamma")], votes: [1: node("gamma"), 2: node("gamma"), 3: node("beta")]
        )
        var (state, effects) = UnlockState.restore(
            tree: Self.tree, votingMillis: Self.votingMillis, unlocked: [Self.alpha1], target: nil, progress: 0, banked: 4, voting: voting,
            mine: [1: 4], nextVotingID: 4, now: 4_000
        )
        #expect(state.phase == .voting(voting))
        #expect(effects.writes.isEmpty)
        #expect(effects.pushes.isEmpty)
        #expect(effects.votingOpened?.id == 3)
        #expect(effects.votingOpened?.endsAt == 5_000)
        #expect(state.snapshot(for: 1) == .init(node: nil, level: 0, progress: 4, cost: 0, mine: 4, voting: true))
        // The restored votes decide: gamma (7) gets the 4 banked points.
        let closed = state.closeVoting(id: 3, at: 5_000)
        #expect(closed.writes.first == .closeVoting(id: 3, at: 5_000, winner: node("gamma")))
        #expect(state.phase == .collecting(target: level("gamma", 1), cost: 7, progress: 4))
        #expect(state.snapshot(for: 1).mine == 4)
    }

    @Test func restoreRebuildsCompleteWithItsBank() {
        let everything: Set<NodeLevel> = [Self.alpha1, level("alpha", 2), level("beta", 1), level("gamma", 1)]
        let (state, effects) = UnlockState.restore(
            tree: Self.tree, votingMillis: Self.votingMillis, unlocked: everything, target: nil, progress: 0, banked: 9, voting: nil,
            mine: [:], nextVotingID: 4, now: 800
        )
        #expect(state.phase == .complete)
        #expect(effects.writes == [.state(target: nil, banked: 9, votingID: nil, at: 800)])
        #expect(effects.votingOpened == nil)
        #expect(state.snapshot(for: 1) == .init(node: nil, level: 0, progress: 9, cost: 0, mine: 0, voting: false))
    }

    struct StaleTargetCase: Sendable, CustomTestStringConvertible {
        let target: NodeLevel?
        let unlocked: Set<NodeLevel>
        let replacement: NodeLevel
        let testDescription: String
    }

    @Test(arguments: [
        StaleTargetCase(target: nil, unlocked: [], replacement: alpha1, testDescription: "no target stored"),
        StaleTargetCase(target: level("zeta", 1), unlocked: [], replacement: alpha1, testDescription: "a node no longer in the tree"),
        StaleTargetCase(target: level("alpha", 3), unlocked: [], replacement: alpha1, testDescription: "a level no longer in the tree"),
        StaleTargetCase(target: alpha1, unlocked: [alpha1], replacement: level("alpha", 2), testDescription: "already unlocked"),
        StaleTargetCase(
            target: level("gamma", 1), unlocked: [alpha1, level("alpha", 2), level("gamma", 1)], replacement: level("beta", 1),
            testDescription: "already unlocked, first candidate further down"
        ),
    ])
    func restoreReplacesAStaleTargetWithTheFirstCandidate(_ row: StaleTargetCase) {
        let (state, effects) = UnlockState.restore(
            tree: Self.tree, votingMillis: Self.votingMillis, unlocked: row.unlocked, target: row.target, progress: 4, banked: 0,
            voting: nil, mine: [1: 4], nextVotingID: 1, now: 700
        )
        #expect(state.phase == .collecting(target: row.replacement, cost: Self.tree.cost(of: row.replacement)!, progress: 0))
        #expect(effects.writes == [.state(target: row.replacement, banked: 0, votingID: nil, at: 700)])
        #expect(effects.pushes.isEmpty)
        // The old target's points are not the new target's.
        #expect(state.snapshot(for: 1).mine == 0)
    }
}

private func node(_ text: String) -> NodeName { NodeName(unchecked: text) }

private func level(_ text: String, _ level: Int) -> NodeLevel { NodeLevel(node: node(text), level: level) }
