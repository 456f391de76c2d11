/// Why ``PasswordHasher/hash(_:)`` made no hash. Nothing is stored after any of these.
public enum PasswordHashError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The password is longer than ``PasswordHasher/maxPasswordBytes``.
    case passwordTooLong(bytes: Int, limit: Int)
    /// The kernel's random source (`getrandom(2)`) failed with this `errno`, so there is
    /// no salt; a hash is never made with a weaker one.
    case randomUnavailable(errno: Int32)
    /// libxcrypt's `crypt_gensalt_rn` rejected the yescrypt cost with this `errno`.
    case settingRejected(cost: Int, errno: Int32)
    /// `crypt_r` failed (returned NULL or a `*` failure token) with this `errno`: `ENOMEM`
    /// when yescrypt's work area (16 MiB at cost 5, 1 GiB at cost 11) cannot be mapped,
    /// `EINVAL` for a setting libxcrypt does not support.
    case hashFailed(errno: Int32)

    public var description: String {
        switch self {
        case .passwordTooLong(let bytes, let limit):
            return "password of \(bytes) bytes is longer than the \(limit) bytes a hash accepts"
        case .randomUnavailable(let errno):
            return "cannot salt a password hash: getrandom(2) failed with errno \(errno)"
        case .settingRejected(let cost, let errno):
            return "libxcrypt rejected yescrypt cost \(cost) (errno \(errno))"
        case .hashFailed(let errno):
            return "crypt_r failed to hash a password (errno \(errno); 12 = out of memory)"
        }
    }
}
