import Troupe

/// What the unlock coordinator is asked.
enum CoordinatorMessage: Sendable {
    /// Credit `points` of `kind` to `user`; the reply (points credited) comes once the
    /// credit is durable. Without a reply (`SAY`, `DM`), the credit is applied all the same.
    case credit(user: Int64, kind: EngagementKind, points: Int64, ReplyTo<Int64>?)
    /// `VOTE`; replied once the vote is durable.
    case vote(user: Int64, NodeName, ReplyTo<Void>)
    /// `PROGRESS` for `user`.
    case progress(user: Int64, ReplyTo<UnlockState.Snapshot>)
    /// Voting session `id` reached its end (a timer).
    case votingEnded(id: Int64)
    /// A batch of writes committed, or not (pipeToSelf).
    case committed(Result<Void, any Error>)
    /// Retry rebuilding the state from storage (a timer, after storage failed).
    case reload
    /// Submit the batch in flight again (a timer, after the writer refused it unrun).
    case resubmit
}
