import Troupe

/// What a user's cache actor is asked.
enum CacheMessage: Sendable {
    /// `DMS`: the last `count` messages between the cache's user (`userID`) and `other`,
    /// oldest first; `-NOTFOUND` if `other` does not exist (a miss finds out when it loads).
    case conversation(userID: Int64, other: UserName, count: Int, ReplyTo<[DirectRecord]>)
    /// A DM between the cache's user and `other` was stored: drop their conversation.
    case invalidate(other: UserName, ReplyTo<Void>)
    /// A load ended (pipeToSelf).
    case loaded(version: UInt64, Result<[DirectRecord], any Error>)
    /// This user's cache counters (entries, hits, misses, loads, invalidations): what
    /// `STATS` sums over every user, for one user (tests and introspection).
    case metrics(ReplyTo<TTLCacheMetrics>)
}
