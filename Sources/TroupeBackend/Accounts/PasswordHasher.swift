import CCrypt
import Glibc
public import Troupe

/// Salted, slow password hashes: yescrypt through the system's libxcrypt (`crypt_r`),
/// stored in the usual `$y$<params>$<salt>$<hash>` form.
///
/// # Blocking
/// ``hash(_:)``, ``verify(_:against:)`` and ``init(cost:)`` (which computes
/// ``dummyHash``) **block** the calling thread for the whole key derivation: tens of
/// milliseconds at cost 5 (about 16 ms measured on this project's server), with a work
/// area of 16 MiB (see ``costRange``). Call them only on a thread the runtime owns, a
/// Troupe ``BlockingPool`` (the backend's KDF pool), never from async code on Swift's
/// cooperative pool: two such calls there would stall every actor of a two-core server.
/// The pool's thread count also bounds the memory in use (threads × work area).
///
/// # Passwords are bytes
/// A password is any byte string, NUL included, but `crypt` takes a C string and would
/// cut it at the first NUL: `"ab\0cd"` and `"ab"` would share a hash. So crypt is never
/// given the password itself but its standard base64 (always, for every password):
/// an injective encoding whose output holds no NUL, so different passwords stay different
/// phrases. The price: a hash made by another tool from the raw password (`mkpasswd`)
/// does not verify here, and this type's hashes do not verify elsewhere.
///
/// # Unknown users
/// A login for a user that does not exist runs ``verify(_:against:)`` against
/// ``dummyHash``, a real hash of the same cost, so it takes as long as a wrong password
/// for a real user (PROTOCOL.md: "same reply, similar time"). No password matches it.
///
/// # Concurrency contract
/// A `Sendable` value; any number of threads may hash at once: each call has its own
/// `crypt_data` (32 KiB, on the heap, wiped and freed at the end), never a shared one.
public struct PasswordHasher: Sendable {
    /// The yescrypt costs libxcrypt accepts. Memory and time double per step: the work
    /// area is 1 MiB at cost 1, 2 MiB at 2, 4 MiB at 3, 16 MiB at 5 (libxcrypt's
    /// default), 1 GiB at 11.
    public static let costRange: ClosedRange<Int> = 1...11

    /// The longest password hashed, in bytes. Its base64 (344 characters) must fit
    /// libxcrypt's 512-byte phrase limit (`CRYPT_MAX_PASSPHRASE_SIZE`, NUL included),
    /// which allows at most 381 bytes; 256 keeps a round margin and is twice the 128
    /// bytes PROTOCOL.md lets `REGISTER` set.
    public static let maxPasswordBytes = 256

    /// Random salt bytes per hash (256 bits; yescrypt needs at least 16).
    static let saltByteCount = 32

    /// The yescrypt cost of new hashes (``costRange``). Verification uses the cost
    /// written in the stored hash, so raising it affects only hashes made afterwards.
    public let cost: Int

    /// A hash at ``cost`` that no password verifies against, for unknown users: see the
    /// type's "Unknown users". Computed once, in `init`.
    public let dummyHash: String

    /// A hasher making yescrypt hashes at `cost`; computes ``dummyHash`` (blocks: see
    /// "Blocking").
    ///
    /// - Parameter cost: ``costRange``; 5 (libxcrypt's default) takes about 16 ms
    ///   on a current server core.
    /// - Throws: ``ConfigurationError/outOfRange(setting:value:range:)`` if `cost` is
    ///   outside ``costRange`` (or libxcrypt rejects it).
    public init(cost: Int = 5) throws(ConfigurationError) {
        let outOfRange = ConfigurationError.outOfRange(
            setting: "yescrypt cost", value: Double(cost),
            range: Double(Self.costRange.lowerBound)...Double(Self.costRange.upperBound)
        )
        guard Self.costRange.contains(cost) else { throw outOfRange }
        // The dummy's salt needs no secrecy (nothing verifies against it), so fixed bytes
        // do: no random source is needed here and init cannot fail on one.
        let dummySalt = [UInt8](repeating: 0xA5, count: Self.saltByteCount)
        guard let setting = try? Self.setting(cost: cost, salt: dummySalt) else { throw outOfRange }
        self.cost = cost
        // The phrase `!` is no base64 output (its alphabet is A–Z a–z 0–9 + / =), and every
        // password reaches crypt as base64, so no password can produce this hash.
        // If crypt cannot run now (out of memory), the setting alone still makes
        // `verify` do the full derivation at this cost and then fail the comparison.
        dummyHash = (try? Self.crypt(phrase: Array("!\0".utf8), setting: setting)) ?? setting
    }

    /// A new salted hash of `password`, `$y$...`, to store. Blocks (see "Blocking").
    ///
    /// - Throws: ``PasswordHashError``: the password is too long, the random source or
    ///   libxcrypt failed.
    public func hash(_ password: [UInt8]) throws(PasswordHashError) -> String {
        guard password.count <= Self.maxPasswordBytes else {
            throw .passwordTooLong(bytes: password.count, limit: Self.maxPasswordBytes)
        }
        let salt: [UInt8]
        do {
            salt = try SystemRandom.bytes(Self.saltByteCount)
        } catch {
            throw .randomUnavailable(errno: error.errno)
        }
        let setting = try Self.setting(cost: cost, salt: salt)
        var phrase = Self.phrase(password)
        defer { Self.wipe(&phrase) }
        return try Self.crypt(phrase: phrase, setting: setting)
    }

    /// Whether `password` is the one `storedHash` was made from. Blocks (see "Blocking").
    ///
    /// False, without hashing, for a stored hash that is not yescrypt (`$y$`): an empty
    /// field, a locked account's `*` or `!`, or a weaker method such as DES, which would
    /// check only the first 8 bytes. False, also without hashing, for a password over
    /// ``maxPasswordBytes`` (no stored hash can match one). False if crypt fails. The
    /// computed hash is compared with `storedHash` in constant time.
    public func verify(_ password: [UInt8], against storedHash: String) -> Bool {
        guard storedHash.utf8.starts(with: "$y$".utf8), password.count <= Self.maxPasswordBytes else {
            return false
        }
        var phrase = Self.phrase(password)
        defer { Self.wipe(&phrase) }
        guard let computed = try? Self.crypt(phrase: phrase, setting: storedHash) else { return false }
        return ConstantTime.equals(computed.utf8, storedHash.utf8)
    }

    /// What crypt is given for `password`: its standard base64, NUL-terminated.
    private static func phrase(_ password: [UInt8]) -> [UInt8] {
        Base64.standard(password) + [0]
    }

    /// Overwrites a phrase, so a password's encoding does not stay in freed memory.
    private static func wipe(_ phrase: inout [UInt8]) {
        phrase.withUnsafeMutableBytes { if let base = $0.baseAddress { explicit_bzero(base, $0.count) } }
    }

    /// A yescrypt setting `$y$<params>$<salt>` for `cost` and `salt`.
    private static func setting(cost: Int, salt: [UInt8]) throws(PasswordHashError) -> String {
        var output = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
        errno = 0
        let made = salt.withUnsafeBufferPointer { salt in
            salt.withMemoryRebound(to: CChar.self) { salt in
                crypt_gensalt_rn("$y$", UInt(cost), salt.baseAddress, Int32(salt.count), &output, Int32(output.count))
            }
        }
        let setting = String(decoding: output.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // Like crypt, gensalt may report failure as a "*" token rather than NULL.
        guard made != nil, setting.hasPrefix("$y$") else {
            throw .settingRejected(cost: cost, errno: errno == 0 ? EINVAL : errno)
        }
        return setting
    }

    /// `crypt_r(phrase, setting)` with its own zeroed `crypt_data` on the heap; `phrase`
    /// is NUL-terminated.
    private static func crypt(phrase: [UInt8], setting: String) throws(PasswordHashError) -> String {
        let size = MemoryLayout<crypt_data>.size
        // calloc: libxcrypt requires the struct zeroed before its first use.
        guard let raw = calloc(1, size) else { throw .hashFailed(errno: ENOMEM) }
        defer {
            // The work area holds the phrase and intermediate state: wipe before freeing.
            explicit_bzero(raw, size)
            free(raw)
        }
        let data = raw.bindMemory(to: crypt_data.self, capacity: 1)
        errno = 0
        let hashed: String? = phrase.withUnsafeBufferPointer { phrase in
            phrase.withMemoryRebound(to: CChar.self) { phrase in
                guard let result = crypt_r(phrase.baseAddress, setting, data) else { return nil }
                return String(cString: result)
            }
        }
        // libxcrypt reports failure as NULL or, by default, a "*0"/"*1" token that can
        // never equal a stored hash; both are errors here, never a hash to store.
        guard let hashed, !hashed.hasPrefix("*") else { throw .hashFailed(errno: errno == 0 ? EINVAL : errno) }
        return hashed
    }
}
