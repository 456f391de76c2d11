import Glibc

/// Bytes from the kernel's CSPRNG, `getrandom(2)`, for salts and session tokens.
///
/// Swift's `Glibc` module does not export `<sys/random.h>`, so this goes through glibc's
/// `getentropy(3)`: a thin wrapper that calls `getrandom(buf, n, 0)` and itself loops on
/// `EINTR` and short reads, for at most 256 bytes a call. Without `GRND_NONBLOCK` it blocks
/// only while the kernel's pool is not yet initialized (early boot); after that it never
/// blocks and never fails on Linux ≥ 3.17, so a failure here means a broken system
/// (`ENOSYS` in an old container sandbox, `EFAULT`) and is reported, never papered over.
enum SystemRandom {
    /// A failed `getentropy(3)`: the `errno` it left.
    struct Failure: Error {
        let errno: Int32
    }

    /// The most `getentropy(3)` fills in one call (more is `EIO`).
    static let maxChunk = 256

    /// `count` random bytes (`count` ≥ 0).
    static func bytes(_ count: Int) throws(Failure) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: max(count, 0))
        var failure: Int32 = 0
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count, failure == 0 {
                let chunk = min(maxChunk, buffer.count - offset)
                if getentropy(buffer.baseAddress! + offset, chunk) == 0 {
                    offset += chunk
                } else if Glibc.errno != EINTR {
                    // glibc retries EINTR itself; the check above only guards other libcs.
                    failure = Glibc.errno
                }
            }
        }
        if failure != 0 { throw Failure(errno: failure) }
        return bytes
    }
}
