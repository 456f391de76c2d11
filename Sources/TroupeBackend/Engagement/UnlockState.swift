/// Where community progression stands, and every rule of PROTOCOL.md's "Engagement and
/// progression" as a pure state machine: no clock, no storage, no actor. The unlock
/// coordinator owns one value of it and applies events one at a time; each event returns the
/// writes that make storage match (to be committed in order) and the pushes to announce
/// once they are committed.
///
/// ```
///            credit reaches the cost: unlock (exactly once)
///  collecting ─────────────────────────────────────────────▶ voting ──(ends)──▶ collecting
///      ▲                                   │ no candidate left                 │ (winner's next
///      └───────────────────────────────────┼───────────────────────────────────┘  level; banked
///                                          ▼                                      points credited,
///                                       complete                                  may unlock at once)
/// ```
///
/// Invariants: a (node, level) is unlocked at most once (the set only grows, and the active
/// target is never an unlocked level); `progress < cost` while collecting (reaching the cost
/// unlocks in the same event); points are never lost: what a crossing contribution has
/// beyond the cost, and everything credited during voting or once complete, is banked.
struct UnlockState: Sendable {
    /// The phases of progression.
    enum Phase: Sendable, Hashable {
        /// Points go to `target` until `progress` reaches `cost`.
        case collecting(target: NodeLevel, cost: Int64, progress: Int64)
        /// A vote over the next target is open until `endsAt` (Unix ms).
        case voting(Voting)
        /// Nothing is left to unlock; points are banked.
        case complete
    }

    /// An open voting session.
    struct Voting: Sendable, Hashable {
        let id: Int64
        let endsAt: Int64
        /// In the order of the `voting` push: ties and no votes go to the first.
        let candidates: [NodeName]
        var votes: [Int64: NodeName] = [:]
    }

    /// One write that storage needs, in the order given.
    enum Write: Sendable, Hashable {
        case ledger(user: Int64, kind: String, points: Int64, target: NodeLevel?, at: Int64)
        case progress(NodeLevel, points: Int64, at: Int64)
        case unlock(NodeLevel, at: Int64)
        case openVoting(id: Int64, openedAt: Int64, endsAt: Int64, candidates: [NodeName])
        case vote(session: Int64, user: Int64, node: NodeName, at: Int64)
        case closeVoting(id: Int64, at: Int64, winner: NodeName)
        /// Every banked ledger row now belongs to this target.
        case creditBanked(NodeLevel)
        case state(target: NodeLevel?, banked: Int64, votingID: Int64?, at: Int64)
    }

    /// What an event asks the coordinator to do.
    struct Effects: Sendable {
        var writes: [Write] = []
        /// To push to every logged-in connection once the writes are committed.
        var pushes: [Push] = []
        /// A voting session opened that ends then (Unix ms): arm its timer.
        var votingOpened: (id: Int64, endsAt: Int64)?
    }

    /// What `PROGRESS` shows.
    struct Snapshot: Sendable, Hashable {
        let node: NodeName?
        let level: Int
        let progress: Int64
        let cost: Int64
        let mine: Int64
        let voting: Bool
    }

    let tree: ProgressionTree
    /// How long a voting session stays open, in milliseconds.
    let votingMillis: Int64
    private(set) var unlocked: Set<NodeLevel>
    private(set) var phase: Phase
    /// Points waiting for the next target (during voting, once complete, and the excess of
    /// a crossing contribution).
    private(set) var banked: Int64
    /// Each user's points toward the target while collecting, or banked otherwise.
    private(set) var mine: [Int64: Int64]
    private(set) var nextVotingID: Int64

    /// State rebuilt from storage. A target that is missing, no longer in the tree, or
    /// already unlocked is replaced by the first candidate (the tree may change between
    /// runs); the returned effects persist that choice.
    static func restore(
        tree: ProgressionTree, votingMillis: Int64, unlocked: Set<NodeLevel>, target: NodeLevel?, progress: Int64,
        banked: Int64, voting: Voting?, mine: [Int64: Int64], nextVotingID: Int64, now: Int64
    ) -> (UnlockState, Effects) {
        var state = UnlockState(
            tree: tree, votingMillis: votingMillis, unlocked: unlocked, phase: .complete, banked: banked, mine: mine,
            nextVotingID: nextVotingID
        )
        var effects = Effects()
        if let voting {
            state.phase = .voting(voting)
            effects.votingOpened = (voting.id, voting.endsAt)
        } else if let target, !unlocked.contains(target), let cost = tree.cost(of: target) {
            state.phase = .collecting(target: target, cost: cost, progress: min(progress, cost))
            if progress >= cost { state.unlockTarget(extra: progress - cost, user: nil, kind: nil, at: now, into: &effects) }
        } else {
            state.mine = [:]
            state.startCollecting(at: now, into: &effects)
        }
        return (state, effects)
    }

    private init(
        tree: ProgressionTree, votingMillis: Int64, unlocked: Set<NodeLevel>, phase: Phase, banked: Int64,
        mine: [Int64: Int64], nextVotingID: Int64
    ) {
        self.tree = tree
        self.votingMillis = votingMillis
        self.unlocked = unlocked
        self.phase = phase
        self.banked = banked
        self.mine = mine
        self.nextVotingID = nextVotingID
    }

    // MARK: Events

    /// Credits `points` of `kind` by `user`. Every credit gets a ledger row (two when a
    /// crossing contribution's excess is banked).
    mutating func credit(user: Int64, kind: String, points: Int64, at now: Int64) -> Effects {
        var effects = Effects()
        switch phase {
        case .collecting(let target, let cost, let progress):
            let applied = min(points, max(0, cost - progress))
            effects.writes.append(.ledger(user: user, kind: kind, points: applied, target: target, at: now))
            mine[user, default: 0] += applied
            let reached = progress + applied
            if reached >= cost, points > 0 {
                phase = .collecting(target: target, cost: cost, progress: reached)
                unlockTarget(extra: points - applied, user: user, kind: kind, at: now, into: &effects)
            } else {
                phase = .collecting(target: target, cost: cost, progress: reached)
                effects.writes.append(.progress(target, points: reached, at: now))
            }
        case .voting, .complete:
            bank(points, user: user, kind: kind, at: now, into: &effects)
            effects.writes.append(stateWrite(at: now))
        }
        return effects
    }

    /// `VOTE`: one vote per user per session; a second replaces the first.
    mutating func vote(user: Int64, node: NodeName, at now: Int64) throws(ErrorReply) -> Effects {
        guard case .voting(var voting) = phase else { throw ErrorReply(.denied, "no voting session") }
        guard voting.candidates.contains(node) else { throw ErrorReply(.notFound, "'\(node)' is not a candidate") }
        voting.votes[user] = node
        phase = .voting(voting)
        return Effects(writes: [.vote(session: voting.id, user: user, node: node, at: now)])
    }

    /// Ends voting session `id` (its timer fired): the most votes win, ties and no votes go
    /// to the first candidate; the banked points are credited to the winner's next level,
    /// which may unlock it at once. Does nothing if `id` is not the open session.
    mutating func closeVoting(id: Int64, at now: Int64) -> Effects {
        guard case .voting(let voting) = phase, voting.id == id else { return Effects() }
        var tally: [NodeName: Int] = [:]
        for node in voting.votes.values { tally[node, default: 0] += 1 }
        var winner = voting.candidates[0]
        for candidate in voting.candidates where tally[candidate, default: 0] > tally[winner, default: 0] {
            winner = candidate
        }
        var effects = Effects()
        effects.writes.append(.closeVoting(id: id, at: now, winner: winner))
        // A candidate has a next level by definition; the tree cannot change while running.
        guard let level = tree.nextLevel(of: winner, unlocked: unlocked), let cost = tree.cost(of: NodeLevel(node: winner, level: level)) else {
            startCollecting(at: now, into: &effects)
            return effects
        }
        let target = NodeLevel(node: winner, level: level)
        effects.writes.append(.creditBanked(target))
        let credited = banked
        banked = 0
        phase = .collecting(target: target, cost: cost, progress: min(credited, cost))
        if credited >= cost {
            unlockTarget(extra: credited - cost, user: nil, kind: nil, at: now, into: &effects)
        } else {
            effects.writes.append(.progress(target, points: credited, at: now))
            effects.writes.append(stateWrite(at: now))
        }
        return effects
    }

    /// `PROGRESS` for `user`.
    func snapshot(for user: Int64) -> Snapshot {
        switch phase {
        case .collecting(let target, let cost, let progress):
            Snapshot(node: target.node, level: target.level, progress: progress, cost: cost, mine: mine[user, default: 0], voting: false)
        case .voting:
            Snapshot(node: nil, level: 0, progress: banked, cost: 0, mine: mine[user, default: 0], voting: true)
        case .complete:
            Snapshot(node: nil, level: 0, progress: banked, cost: 0, mine: mine[user, default: 0], voting: false)
        }
    }

    // MARK: Transitions

    /// The target reached its cost: unlock it (once), bank `extra`, and open voting over
    /// the candidates, or complete progression when none is left.
    private mutating func unlockTarget(extra: Int64, user: Int64?, kind: String?, at now: Int64, into effects: inout Effects) {
        guard case .collecting(let target, let cost, _) = phase else { return }
        effects.writes.append(.progress(target, points: cost, at: now))
        effects.writes.append(.unlock(target, at: now))
        unlocked.insert(target)
        effects.pushes.append(.unlocked(node: target.node.value, level: target.level, at: now))
        // Points toward the unlocked target are spent; what goes on is banked.
        mine = [:]
        if extra > 0 {
            if let user, let kind {
                bank(extra, user: user, kind: kind, at: now, into: &effects)
            } else {
                // Banked points credited at the end of a vote that overshot: they stay banked
                // as a sum (their ledger rows already name the unlocked target).
                banked = banked.saturatingAdd(extra)
            }
        }
        openVoting(at: now, into: &effects)
    }

    private mutating func openVoting(at now: Int64, into effects: inout Effects) {
        let candidates = tree.candidates(unlocked: unlocked)
        guard !candidates.isEmpty else {
            phase = .complete
            effects.writes.append(stateWrite(at: now))
            return
        }
        let voting = Voting(id: nextVotingID, endsAt: now + votingMillis, candidates: candidates)
        nextVotingID += 1
        phase = .voting(voting)
        effects.writes.append(.openVoting(id: voting.id, openedAt: now, endsAt: voting.endsAt, candidates: candidates))
        effects.writes.append(stateWrite(at: now))
        effects.pushes.append(.voting(endsAt: voting.endsAt, candidates: candidates.map(\.value)))
        effects.votingOpened = (voting.id, voting.endsAt)
    }

    /// No target: the first candidate in tree order at its next level, or complete.
    private mutating func startCollecting(at now: Int64, into effects: inout Effects) {
        guard let target = tree.initialTarget(unlocked: unlocked), let cost = tree.cost(of: target) else {
            phase = .complete
            effects.writes.append(stateWrite(at: now))
            return
        }
        phase = .collecting(target: target, cost: cost, progress: 0)
        effects.writes.append(stateWrite(at: now))
    }

    private mutating func bank(_ points: Int64, user: Int64, kind: String, at now: Int64, into effects: inout Effects) {
        // Banked points only accumulate once progression is complete: saturate, never trap.
        banked = banked.saturatingAdd(points)
        mine[user, default: 0] = mine[user, default: 0].saturatingAdd(points)
        effects.writes.append(.ledger(user: user, kind: kind, points: points, target: nil, at: now))
    }

    private func stateWrite(at now: Int64) -> Write {
        switch phase {
        case .collecting(let target, _, _): .state(target: target, banked: banked, votingID: nil, at: now)
        case .voting(let voting): .state(target: nil, banked: banked, votingID: voting.id, at: now)
        case .complete: .state(target: nil, banked: banked, votingID: nil, at: now)
        }
    }
}

extension Int64 {
    /// `self + other`, or `Int64.max` where that would overflow (points are never negative).
    func saturatingAdd(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }
}
