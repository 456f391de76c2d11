import Troupe

/// What the accounts actor is asked.
enum AccountsMessage: Sendable {
    /// `LOGIN`/`AUTH`: checks the password of `user`; replies the account, or fails with
    /// `-DENIED invalid credentials` (or `-BUSY` when the name's failed-login bucket is empty).
    case verify(user: UserName, password: [UInt8], ReplyTo<Account>)
    /// A verification ended (pipeToSelf): settles the name's failed-login bucket.
    case verified(user: UserName, Result<Account?, any Error>, ReplyTo<Account>)
}
