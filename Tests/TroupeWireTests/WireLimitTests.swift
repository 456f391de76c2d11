import Testing
import TroupeWire

/// Every limit of PROTOCOL.md at N (accepted) and N + 1 (the exact error, closing).
@Suite struct WireLimitTests {
    static let lineLimit = 65_536

    @Test(arguments: ["\n", "\r\n"])
    func anInlineLineOfExactlyTheLimitIsAccepted(terminator: String) {
        let line = [UInt8](repeating: UInt8(ascii: "a"), count: Self.lineLimit)
        let outcome = parse(line + bytes(terminator + "PING\r\n"))
        #expect(outcome.error == nil)
        #expect(outcome.requests.map { $0.arguments.first?.count } == [Self.lineLimit, 4])
    }

    @Test(arguments: ["\n", "\r\n", ""])
    func anInlineLineOneByteOverTheLimitIsTooLarge(terminator: String) {
        // Without a terminator too: the parser need not wait for one to know.
        let line = [UInt8](repeating: UInt8(ascii: "a"), count: Self.lineLimit + 1)
        let error = parseError(of: line + bytes(terminator))
        #expect(error == .lineTooLong(limit: Self.lineLimit))
        #expect(error?.replyText == "TOOLARGE line exceeds 65536 bytes")
        #expect(error?.closesConnection == true)
    }

    @Test func aCarriageReturnAfterTheLimitWaitsForItsLineFeed() throws {
        var parser = RequestParser(limits: WireLimits(maxInlineLineBytes: 8))
        parser.append(bytes("12345678\r"))
        #expect(try parser.next() == nil)
        parser.append(bytes("\n"))
        #expect(try parser.next()?.texts == ["12345678"])
        parser.append(bytes("12345678\rx"))
        #expect(throws: WireError.lineTooLong(limit: 8)) { try parser.next() }
    }

    @Test func aBulkOfExactlyTheLimitIsAccepted() {
        let limit = 1_048_576
        let payload = [UInt8](repeating: 0x7A, count: limit)
        let outcome = parse(bytes("*2\r\n$3\r\nSAY\r\n$\(limit)\r\n") + payload + bytes("\r\n"))
        #expect(outcome.error == nil)
        #expect(outcome.requests.first?.arguments.last.map(Array.init) == payload)
    }

    @Test func aBulkOneByteOverTheLimitIsTooLargeFromItsHeaderAlone() {
        let error = parseError(of: bytes("*2\r\n$3\r\nSAY\r\n$1048577\r\n"))
        #expect(error == .bulkTooLong(limit: 1_048_576))
        #expect(error?.replyText == "TOOLARGE bulk length exceeds 1048576 bytes")
        #expect(error?.closesConnection == true)
    }

    @Test func aCountOfExactlyTheLimitIsAccepted() {
        let input = bytes("*1024\r\n") + Array(repeating: bytes("$1\r\nx\r\n"), count: 1_024).flatMap { $0 }
        let outcome = parse(input)
        #expect(outcome.error == nil)
        #expect(outcome.requests.first?.arguments.count == 1_024)
    }

    @Test func aCountOneOverTheLimitIsTooLargeFromItsHeaderAlone() {
        let error = parseError(of: bytes("*1025\r\n"))
        #expect(error == .tooManyArguments(limit: 1_024))
        #expect(error?.replyText == "TOOLARGE multibulk count exceeds 1024")
        #expect(error?.closesConnection == true)
    }

    @Test func configuredLimitsAreEnforcedAtNAndNPlusOne() {
        let limits = WireLimits(maxInlineLineBytes: 10, maxBulkBytes: 5, maxMultibulkCount: 3)
        let parser = RequestParser(limits: limits)
        #expect(parse(bytes("0123456789\r\n"), parser: parser).texts == [["0123456789"]])
        #expect(parseError(of: bytes("01234567890\r\n"), parser: parser)?.replyText == "TOOLARGE line exceeds 10 bytes")
        #expect(parse(bytes("*3\r\n$5\r\nabcde\r\n$0\r\n\r\n$1\r\nx\r\n"), parser: parser).texts == [["abcde", "", "x"]])
        #expect(parseError(of: bytes("*1\r\n$6\r\n"), parser: parser)?.replyText == "TOOLARGE bulk length exceeds 5 bytes")
        #expect(parseError(of: bytes("*4\r\n"), parser: parser)?.replyText == "TOOLARGE multibulk count exceeds 3")
    }

    @Test func limitsBelowOneAreTakenAsOne() {
        let limits = WireLimits(maxInlineLineBytes: 0, maxBulkBytes: -5, maxMultibulkCount: 0)
        #expect(limits == WireLimits(maxInlineLineBytes: 1, maxBulkBytes: 1, maxMultibulkCount: 1))
    }

    @Test func theIncompleteRequestBoundCoversTheWorstCase() {
        let limits = WireLimits(maxInlineLineBytes: 100, maxBulkBytes: 10, maxMultibulkCount: 2)
        // header (32 + 2) + 2 × (header 34 + 10 + 2) = 126, above the line's 101.
        #expect(limits.maxIncompleteRequestBytes == 126)
        #expect(WireLimits(maxInlineLineBytes: 1_000, maxBulkBytes: 1, maxMultibulkCount: 1).maxIncompleteRequestBytes == 1_001)
        #expect(WireLimits(maxBulkBytes: .max, maxMultibulkCount: .max).maxIncompleteRequestBytes == .max)
    }
}
