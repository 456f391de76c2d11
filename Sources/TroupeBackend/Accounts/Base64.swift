/// Base64 encodings (RFC 4648), encode only: the crypt phrase of a password (standard
/// alphabet, padded) and the text of a session token (URL alphabet, unpadded).
///
/// Not cryptography, only a fixed re-spelling of bytes: both uses need it to be injective
/// (different bytes give different text) and its output to hold no NUL, which both
/// alphabets guarantee.
enum Base64 {
    /// `A–Z a–z 0–9 + /`, padded with `=` to a multiple of 4 (section 4).
    static func standard(_ bytes: some Collection<UInt8>) -> [UInt8] {
        encode(bytes, alphabet: standardAlphabet, padded: true)
    }

    /// `A–Z a–z 0–9 - _`, without padding (section 5): safe in URLs, file names and
    /// protocol arguments; `n` bytes give `ceil(4n/3)` characters.
    static func urlUnpadded(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: encode(bytes, alphabet: urlAlphabet, padded: false), as: UTF8.self)
    }

    private static let standardAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let urlAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    private static func encode(_ bytes: some Collection<UInt8>, alphabet: [UInt8], padded: Bool) -> [UInt8] {
        let input = Array(bytes)
        var output: [UInt8] = []
        output.reserveCapacity((input.count + 2) / 3 * 4)
        var index = 0
        while index < input.count {
            // Up to 3 bytes make 24 bits, read as four 6-bit digits; a short last group
            // yields 2 (one byte) or 3 (two bytes) digits.
            let remaining = input.count - index
            let b0 = UInt32(input[index])
            let b1 = remaining > 1 ? UInt32(input[index + 1]) : 0
            let b2 = remaining > 2 ? UInt32(input[index + 2]) : 0
            let group = b0 << 16 | b1 << 8 | b2
            let digits = min(remaining, 3) + 1
            for digit in 0..<digits {
                output.append(alphabet[Int(group >> UInt32(18 - 6 * digit) & 0x3F)])
            }
            if padded {
                for _ in digits..<4 { output.append(UInt8(ascii: "=")) }
            }
            index += 3
        }
        return output
    }
}
