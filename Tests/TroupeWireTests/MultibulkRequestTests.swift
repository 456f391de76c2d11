import Testing
import TroupeWire

/// RESP multibulk requests: framing, binary safety, `*0`/`*-1`, pipelining and every
/// malformed form.
@Suite struct MultibulkRequestTests {
    @Test func anArrayOfBulkStrings() {
        let outcome = parse(bytes("*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n*1\r\n$0\r\n\r\n"))
        #expect(outcome.error == nil)
        #expect(outcome.texts == [["ECHO", "hello"], [""]])
        #expect(outcome.requests.allSatisfy { $0.form == .multibulk && $0.line == nil })
    }

    @Test func bulksAreBinarySafe() {
        let payload: [UInt8] = [0x00, 0x0D, 0x0A, 0x24, 0x2A, 0x0D, 0x0A, 0xFF]
        let outcome = parse(bytes("*2\r\n$3\r\nSET\r\n$8\r\n") + payload + bytes("\r\n"))
        #expect(outcome.error == nil)
        #expect(outcome.requests.first?.arguments.map(Array.init) == [bytes("SET"), payload])
    }

    @Test func zeroAndMinusOneCountsAreSkippedWithoutARequest() {
        let outcome = parse(bytes("*0\r\n*-1\r\n*0\r\n*1\r\n$4\r\nPING\r\n*-1\r\n"))
        #expect(outcome.error == nil)
        #expect(outcome.texts == [["PING"]])
    }

    @Test func bulksAreSlicesOfTheReadBuffer() throws {
        var parser = RequestParser()
        parser.append(bytes("*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n"))
        let request = try #require(try parser.next())
        let base = request.arguments[0].withUnsafeBufferPointer { $0.baseAddress }
        #expect(request.arguments[0].startIndex == 8)
        #expect(request.arguments[1].withUnsafeBufferPointer { $0.baseAddress } == base.map { $0 + 9 })
    }

    @Test func pipelinedInlineAndMultibulkComeOutInOrder() {
        var input: [UInt8] = []
        var expected: [[String]] = []
        for index in 0..<10_000 {
            input += bytes("PING\r\n")
            expected.append(["PING"])
            if index % 100 == 0 {
                input += bytes("*2\r\n$4\r\nECHO\r\n$\(String(index).utf8.count)\r\n\(index)\r\n")
                expected.append(["ECHO", String(index)])
            }
        }
        let outcome = parse(input)
        #expect(outcome.error == nil)
        #expect(outcome.texts == expected)
    }

    @Test func aHeaderWaitsForItsCRLF() throws {
        var parser = RequestParser()
        for piece in ["*", "1", "\r", "\n", "$", "4", "\r", "\n", "PI", "NG", "\r"] {
            parser.append(bytes(piece))
            #expect(try parser.next() == nil, "after \(piece.debugDescription)")
        }
        parser.append(bytes("\n"))
        #expect(try parser.next()?.texts == ["PING"])
    }

    // MARK: Malformed

    @Test(arguments: ["*abc\r\n", "*-2\r\n", "*01\r\n", "*-0\r\n", "*+1\r\n", "* 1\r\n", "*\r\n", "*1\rX", "*99999999999999999999\r\n"])
    func badCountsAreProtocolErrors(input: String) {
        let error = parseError(of: bytes(input))
        #expect(error == .invalidMultibulkLength)
        #expect(error?.replyText == "ERR protocol error: invalid multibulk length")
    }

    @Test(arguments: ["*1\r\n$-1\r\n", "*1\r\n$abc\r\n", "*1\r\n$\r\n", "*1\r\n$01\r\n", "*1\r\n$1\rx"])
    func badBulkLengthsAreProtocolErrors(input: String) {
        let error = parseError(of: bytes(input))
        #expect(error == .invalidBulkLength)
        #expect(error?.replyText == "ERR protocol error: invalid bulk length")
    }

    @Test func anElementThatIsNotABulkIsAProtocolError() {
        let error = parseError(of: bytes("*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n"))
        #expect(error == .expectedBulk(got: UInt8(ascii: "f")))
        #expect(error?.replyText == "ERR protocol error: expected '$', got 'f'")
        // An unprintable byte is escaped, so the reply stays one line.
        #expect(parseError(of: bytes("*1\r\n\r\n"))?.replyText == #"ERR protocol error: expected '$', got '\x0d'"#)
    }

    @Test(arguments: ["*1\r\n$3\r\nabcd\r\n", "*1\r\n$3\r\nab\r\n\r\n", "*1\r\n$3\r\nabc\n\r"])
    func bulkDataNotFollowedByCRLFIsAProtocolError(input: String) {
        let error = parseError(of: bytes(input))
        #expect(error == .missingBulkTerminator)
        #expect(error?.replyText == "ERR protocol error: bulk data not followed by CRLF")
    }

    @Test func headerLinesAreBounded() {
        let maxLine = WireLimits.maxHeaderLineBytes
        // 32 bytes before CRLF is still a header (here a bad number); 33 is too long, even
        // before any CR arrives.
        #expect(parseError(of: bytes("*" + String(repeating: "1", count: maxLine - 1) + "\r\n")) == .invalidMultibulkLength)
        let longCount = parseError(of: bytes("*" + String(repeating: "1", count: maxLine)))
        #expect(longCount == .multibulkCountLineTooLong)
        #expect(longCount?.replyText == "ERR protocol error: too big mbulk count string")
        let longLength = parseError(of: bytes("*1\r\n$" + String(repeating: "1", count: maxLine)))
        #expect(longLength == .bulkLengthLineTooLong)
        #expect(longLength?.replyText == "ERR protocol error: too big bulk count string")
    }

    @Test func aFailedParserStaysFailedAndHoldsNothing() throws {
        var parser = RequestParser()
        parser.append(bytes("PING\r\n*x\r\nPING\r\n"))
        #expect(try parser.next()?.texts == ["PING"])
        #expect(throws: WireError.invalidMultibulkLength) { try parser.next() }
        #expect(parser.bufferedByteCount == 0)
        parser.append(bytes("PING\r\n"))
        #expect(parser.bufferedByteCount == 0)
        #expect(!parser.hasPartialRequest)
        #expect(throws: WireError.invalidMultibulkLength) { try parser.next() }
    }

    @Test func aLargeBufferIsReleasedOnceIdle() throws {
        var parser = RequestParser()
        let big = [UInt8](repeating: 0x61, count: 300_000)
        parser.append(bytes("*1\r\n$300000\r\n") + big + bytes("\r\n"))
        #expect(try parser.next()?.arguments.first?.count == big.count)
        parser.append(bytes("PING\r\n"))
        #expect(parser.bufferCapacity < 64 * 1024)
        #expect(try parser.next()?.texts == ["PING"])
    }
}
