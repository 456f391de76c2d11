import Testing
import Troupe
@testable import TroupeBackend

/// Passwords, tokens and their primitives. yescrypt costs ~50 ms a hash at cost 5, so the
/// hashing tests use cost 1 unless the cost itself is what they check, and stay few.
@Suite struct CredentialsTests {
    static let hasher = Result { try PasswordHasher(cost: 1) }

    @Test func aHashVerifiesItsPasswordAndNoOther() throws {
        let hasher = try Self.hasher.get()
        let stored = try hasher.hash(Array("correct horse".utf8))
        #expect(stored.hasPrefix("$y$"))
        #expect(hasher.verify(Array("correct horse".utf8), against: stored))
        #expect(!hasher.verify(Array("correct horsf".utf8), against: stored))
        #expect(!hasher.verify(Array("correct horse ".utf8), against: stored))
        #expect(!hasher.verify([], against: stored))
    }

    @Test func twoHashesOfOnePasswordDifferByTheirSalt() throws {
        let hasher = try Self.hasher.get()
        let first = try hasher.hash(Array("hunter22".utf8))
        let second = try hasher.hash(Array("hunter22".utf8))
        #expect(first != second)
        #expect(hasher.verify(Array("hunter22".utf8), against: first))
        #expect(hasher.verify(Array("hunter22".utf8), against: second))
    }

    @Test func aNulByteDoesNotCutThePassword() throws {
        let hasher = try Self.hasher.get()
        let whole: [UInt8] = Array("pass".utf8) + [0] + Array("word".utf8)
        let cut: [UInt8] = Array("pass".utf8)
        let wholeHash = try hasher.hash(whole)
        let cutHash = try hasher.hash(cut)
        #expect(hasher.verify(whole, against: wholeHash))
        #expect(!hasher.verify(cut, against: wholeHash))
        #expect(!hasher.verify(whole, against: cutHash))
    }

    @Test func theCostIsWrittenIntoTheHash() throws {
        let cheap = try Self.hasher.get()
        let dearer = try PasswordHasher(cost: 2)
        // `$y$<params>$<salt>$<hash>`: the params field encodes the cost.
        let cheapParams = try cheap.hash(Array("password".utf8)).split(separator: "$")[1]
        let dearerParams = try dearer.hash(Array("password".utf8)).split(separator: "$")[1]
        #expect(cheapParams != dearerParams)
        #expect(dearer.dummyHash.split(separator: "$")[1] == dearerParams)
    }

    @Test func aCostOutsideYescryptsRangeIsAConfigurationError() {
        for cost in [-1, 0, 12, 100] {
            #expect(throws: ConfigurationError.self) { try PasswordHasher(cost: cost) }
        }
    }

    @Test func theDummyHashIsARealHashThatNoPasswordVerifies() throws {
        let hasher = try Self.hasher.get()
        let dummy = hasher.dummyHash
        // A full hash (`$y$params$salt$hash`), so verifying against it costs a derivation.
        #expect(dummy.hasPrefix("$y$"))
        #expect(dummy.split(separator: "$").count == 4)
        for typed in ["x", "", "!", "password", "IQ=="] {
            #expect(!hasher.verify(Array(typed.utf8), against: dummy))
        }
    }

    @Test func foreignOrMalformedStoredHashesNeverVerify() throws {
        let hasher = try Self.hasher.get()
        for stored in ["", "*", "!", "*0", "$y$", "$y$garbage", "abJnggxhB/yWI", "$1$salt$qJH7.N4xYta3aEG/dfqo/0"] {
            #expect(!hasher.verify(Array("password".utf8), against: stored))
        }
    }

    @Test func aPasswordOverTheLimitIsRefused() throws {
        let hasher = try Self.hasher.get()
        let long = [UInt8](repeating: 0x61, count: PasswordHasher.maxPasswordBytes + 1)
        #expect(throws: PasswordHashError.passwordTooLong(bytes: long.count, limit: PasswordHasher.maxPasswordBytes)) {
            try hasher.hash(long)
        }
        let longest = [UInt8](repeating: 0x61, count: PasswordHasher.maxPasswordBytes)
        #expect(hasher.verify(longest, against: try hasher.hash(longest)))
    }

    @Test func sha256MatchesTheStandardVectors() {
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        #expect(hex(SHA256.digest("abc".utf8)) == abc)
        #expect(hex(SHA256.digest([UInt8]())) == empty)
        // A collection without contiguous storage takes the copying path.
        #expect(hex(SHA256.digest("abc".utf8.lazy.map { $0 })) == abc)
    }

    @Test func base64MatchesRFC4648() {
        let vectors = [
            "": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy",
        ]
        for (plain, encoded) in vectors {
            #expect(String(decoding: Base64.standard(plain.utf8), as: UTF8.self) == encoded)
            #expect(Base64.urlUnpadded(plain.utf8) == encoded.filter { $0 != "=" })
        }
        #expect(String(decoding: Base64.standard([0xFB, 0xFF]), as: UTF8.self) == "+/8=")
        #expect(Base64.urlUnpadded([0xFB, 0xFF]) == "-_8")
    }

    @Test func tokensAre43UrlSafeCharactersAndDistinct() throws {
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        var seen = Set<String>()
        for _ in 0..<1_000 {
            let token = try SessionToken.generate()
            #expect(token.text.utf8.count == SessionToken.textLength)
            #expect(token.text.utf8.allSatisfy(alphabet.contains))
            seen.insert(token.text)
        }
        #expect(seen.count == 1_000)
    }

    @Test func aTokenIsStoredAsTheSha256OfItsText() throws {
        let token = try SessionToken.generate()
        #expect(token.hash.count == SHA256.digestByteCount)
        #expect(SessionToken.hash(of: token.text.utf8) == token.hash)
        #expect(token.hash == SHA256.digest(token.text.utf8))
        #expect(SessionToken.hash(of: token.text.utf8.dropLast()) != token.hash)
        #expect(!"\(token)".contains(token.text))
    }

    @Test func constantTimeEqualsComparesEveryByte() {
        #expect(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
        #expect(ConstantTime.equals([UInt8](), [UInt8]()))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equals([9, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2]))
        #expect(!ConstantTime.equals([1, 2], [1, 2, 3]))
        #expect(ConstantTime.equals("abc".utf8, [0x61, 0x62, 0x63]))
    }

    private func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
