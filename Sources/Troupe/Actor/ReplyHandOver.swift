import Synchronization

/// The hand-over of one ask's outcome between whoever finishes the ask and the asker,
/// without a lock. Non-generic, so these steps cost no generic metadata lookups on the ask
/// path; ``PendingReply`` adds the typed outcome and continuation.
///
/// Exactly one of reply, failure, deadline, cancellation or abandonment wins. Two atomics:
/// - `claimed` elects the one finisher (compare-exchange false → true); only it writes the
///   outcome.
/// - `phase` orders the hand-over: `pending` → `waiting` (the asker stored its
///   continuation, then published it) or `pending` → `finished` (the finisher stored the
///   outcome, then published it). Whoever comes second reads what the other published:
///   the asker resumes itself with the outcome, or the finisher resumes the asker.
@usableFromInline
// Unchecked Sendable: only atomics are added here.
class ReplyHandOver: WaitNode, @unchecked Sendable {
    @usableFromInline static var pending: Int { 0 }
    @usableFromInline static var waiting: Int { 1 }
    @usableFromInline static var finished: Int { 2 }

    private let claimed = Atomic<Bool>(false)
    private let phase = Atomic<Int>(0)

    @usableFromInline
    override init() {
        super.init()
    }

    /// True once an outcome is recorded (the reply channel's release checks it first).
    @usableFromInline
    final var isFinished: Bool { claimed.load(ordering: .acquiring) }

    /// True once the outcome is recorded and published: the finisher is done writing it.
    @usableFromInline
    final var isPublishedFinished: Bool { phase.load(ordering: .acquiring) == Self.finished }

    /// Wins the right to record the outcome; false if someone else already did.
    @usableFromInline
    final func claim() -> Bool {
        claimed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
    }

    /// Publishes that the outcome is stored; returns the previous phase.
    @usableFromInline
    final func publishFinished() -> Int {
        phase.exchange(Self.finished, ordering: .acquiringAndReleasing)
    }

    /// Publishes that the continuation is stored; false if the outcome came first.
    @usableFromInline
    final func publishWaiting() -> Bool {
        phase.compareExchange(expected: Self.pending, desired: Self.waiting, ordering: .acquiringAndReleasing).exchanged
    }
}
