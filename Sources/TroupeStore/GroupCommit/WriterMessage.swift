import Troupe

/// What the writer actor handles.
enum WriterMessage: Sendable {
    /// A caller's write.
    case write(any GroupWrite)
    /// The group in flight ended (delivered through the system lane).
    case groupFinished(GroupReport)
    /// A snapshot of the counters.
    case metrics(ReplyTo<WriterMetrics>)
}

/// How one group's transaction ended.
struct GroupReport: Sendable {
    /// The writer incarnation that sent the group (a report delivered after a restart is
    /// ignored: the new incarnation has its own group in flight).
    let incarnation: Int
    let size: Int
    /// Writes that failed alone inside a committed group.
    let failedAlone: Int
    /// The group ran with a savepoint per write (because a write failed on its own).
    let isolated: Bool
    /// Why the whole group failed, or nil when it committed.
    let failure: DatabaseError?
}
