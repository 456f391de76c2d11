/// Comparisons whose time does not depend on where two secrets differ.
///
/// An early-exit `==` on a secret (a password hash, a token hash) answers faster the
/// sooner the inputs differ, and an attacker who can time many attempts learns the secret
/// byte by byte. These functions look at every byte whatever they find.
public enum ConstantTime {
    /// Whether `a` and `b` hold the same bytes, reading all of them when the lengths match.
    ///
    /// Inputs of different lengths are unequal at once, without reading the content: a
    /// length is not secret here (stored hashes and digests have fixed, public lengths).
    /// The content loop ORs the XOR of every pair into one accumulator and tests it only
    /// at the end, so its time depends on the length alone.
    public static func equals(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) {
            difference |= x ^ y
        }
        return difference == 0
    }
}
