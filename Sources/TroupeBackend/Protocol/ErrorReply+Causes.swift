import Troupe
import TroupeStore

extension ErrorReply {
    /// The reply for a storage failure. A refusal before the work ran is `BUSY`; a passed
    /// deadline `TIMEOUT`; a database that is down or behind an open breaker `UNAVAILABLE`.
    static func storage(_ error: DatabaseError) -> ErrorReply {
        switch error.kind {
        case .overloaded: .busy("storage is overloaded; the request did not take effect")
        case .timeout: ErrorReply(.timeout, "storage did not answer in time")
        case .transient: .busy("storage is busy (conflicting work); the request did not take effect")
        case .unavailable: ErrorReply(.unavailable, "storage unavailable: \(error.reason)")
        case .uniqueViolation, .incompatibleSchema, .other: ErrorReply(.unavailable, "storage error: \(error.reason)")
        }
    }

    /// The reply for an ask that got no answer. A full mailbox means the request never
    /// reached the actor (`BUSY`); a passed deadline, or an actor that stopped before it
    /// replied, may have let it take effect (`TIMEOUT`).
    static func ask(_ error: AskError) -> ErrorReply {
        switch error {
        case .timedOut: ErrorReply(.timeout, "no reply within the request's deadline")
        case .mailboxFull, .dropped: .busy("overloaded")
        // The actor stopped or restarted without replying: it may have done the work (a
        // room that committed a SAY, then failed), so the caller must not assume it did not.
        case .stopped, .noReply: ErrorReply(.timeout, "the service restarted before it replied; the request may or may not have taken effect")
        case .notPlaced: ErrorReply(.unavailable, "the service is not running")
        // Services waiting on each other's replies: a bug in the server, not the request.
        case .deadlock: ErrorReply(.unavailable, "internal error: services waiting on each other")
        case .cancelled: ErrorReply(.timeout, "the request was cancelled")
        case .failed(let cause): from(cause)
        }
    }

    /// The reply for any error raised on a request's way.
    static func from(_ error: any Error) -> ErrorReply {
        switch error {
        case let reply as ErrorReply: reply
        case let database as DatabaseError: storage(database)
        case let failure as AskError: ask(failure)
        case let kdf as BlockingPoolError: blockingPool(kdf)
        case is CancellationError: ErrorReply(.timeout, "the request was cancelled")
        default: ErrorReply(.unavailable, "internal error: \(error)")
        }
    }

    static func blockingPool(_ error: BlockingPoolError) -> ErrorReply {
        switch error {
        case .queueFull: .busy("password hashing is overloaded")
        case .timedOut: ErrorReply(.timeout, "password hashing did not start in time")
        case .cancelled: ErrorReply(.timeout, "the request was cancelled")
        case .shutDown: shuttingDown
        case .failed(let cause): from(cause)
        }
    }
}
