/// Why a ``SessionToken`` could not be made.
public enum TokenError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kernel's random source (`getrandom(2)`) failed with this `errno`: a broken or
    /// over-restricted system (`ENOSYS`: a seccomp sandbox without the call). No token is
    /// made from anything weaker.
    case randomUnavailable(errno: Int32)

    public var description: String {
        switch self {
        case .randomUnavailable(let errno):
            return "cannot make a session token: getrandom(2) failed with errno \(errno)"
        }
    }
}
