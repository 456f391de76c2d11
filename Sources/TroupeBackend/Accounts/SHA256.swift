import CLibCrypto

/// SHA-256 (FIPS 180-4) from the system's libcrypto; never a hand-written digest.
///
/// Used to store session tokens as their digest: a token has 256 bits of entropy, so a
/// fast unsalted hash is enough to make a leaked table useless.
///
/// # Concurrency contract
/// Pure and thread-safe: every call hashes into its own output buffer (OpenSSL's one-shot
/// `SHA256` is only unsafe with a NULL output, which is never passed). It does not block.
public enum SHA256 {
    /// The length of a digest in bytes.
    public static let digestByteCount = 32

    /// The 32-byte SHA-256 digest of `bytes`.
    public static func digest(_ bytes: some Collection<UInt8>) -> [UInt8] {
        if let digest = bytes.withContiguousStorageIfAvailable({ digest(buffer: $0) }) {
            return digest
        }
        return Array(bytes).withUnsafeBufferPointer { digest(buffer: $0) }
    }

    private static func digest(buffer: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: digestByteCount) { output, initialized in
            // libcrypto reads `count` bytes (none when empty, so a nil base is fine) and
            // writes exactly SHA256_DIGEST_LENGTH (32) bytes.
            _ = CLibCrypto.SHA256(buffer.baseAddress, buffer.count, output.baseAddress)
            initialized = digestByteCount
        }
    }
}
