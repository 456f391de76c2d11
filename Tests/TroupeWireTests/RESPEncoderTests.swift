import Testing
import TroupeWire

/// Byte-exact RESP2 and RESP3 for every kind of value.
@Suite struct RESPEncoderTests {
    private func encoded(_ value: WireValue, _ version: RESPVersion) -> String {
        var buffer: [UInt8] = []
        RESPEncoder(version: version).encode(value, into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    @Test(arguments: [RESPVersion.resp2, .resp3])
    func scalarsAreTheSameInBothVersions(version: RESPVersion) {
        #expect(encoded(.simple("OK"), version) == "+OK\r\n")
        #expect(encoded(.simple("a\r\nb"), version) == "+a  b\r\n")
        #expect(encoded(.error(code: "BUSY", message: "rate limited, retry after 50 ms"), version) == "-BUSY rate limited, retry after 50 ms\r\n")
        #expect(encoded(.error(code: "ERR", message: "bad\nline"), version) == "-ERR bad line\r\n")
        #expect(encoded(.error(code: "NOAUTH", message: ""), version) == "-NOAUTH\r\n")
        #expect(encoded(.integer(0), version) == ":0\r\n")
        #expect(encoded(.integer(42), version) == ":42\r\n")
        #expect(encoded(.integer(-7), version) == ":-7\r\n")
        #expect(encoded(.integer(.max), version) == ":9223372036854775807\r\n")
        #expect(encoded(.integer(.min), version) == ":-9223372036854775808\r\n")
        #expect(encoded(.bulk("hello"), version) == "$5\r\nhello\r\n")
        #expect(encoded(.bulk([]), version) == "$0\r\n\r\n")
        #expect(encoded(.array([]), version) == "*0\r\n")
    }

    @Test(arguments: [RESPVersion.resp2, .resp3])
    func bulksAreBinarySafe(version: RESPVersion) {
        var buffer: [UInt8] = []
        RESPEncoder(version: version).encode(.bulk([0x00, 0x0D, 0x0A, 0xFF]), into: &buffer)
        #expect(buffer == bytes("$4\r\n") + [0x00, 0x0D, 0x0A, 0xFF] + bytes("\r\n"))
    }

    @Test func nullDiffers() {
        #expect(encoded(.null, .resp2) == "$-1\r\n")
        #expect(encoded(.null, .resp3) == "_\r\n")
    }

    @Test func arraysNest() {
        let history: WireValue = .array([.array([.integer(1), .bulk("lobby"), .bulk("alice"), .bulk("hi"), .integer(1_700_000_000_000)]), .null])
        #expect(encoded(history, .resp2) == "*2\r\n*5\r\n:1\r\n$5\r\nlobby\r\n$5\r\nalice\r\n$2\r\nhi\r\n:1700000000000\r\n$-1\r\n")
        #expect(encoded(history, .resp3) == "*2\r\n*5\r\n:1\r\n$5\r\nlobby\r\n$5\r\nalice\r\n$2\r\nhi\r\n:1700000000000\r\n_\r\n")
    }

    @Test func mapsAreFlatArraysInRESP2() {
        let hello: WireValue = .map([WireValue.Field("server", .bulk("troupe")), WireValue.Field("proto", .integer(3))])
        #expect(encoded(hello, .resp2) == "*4\r\n$6\r\nserver\r\n$6\r\ntroupe\r\n$5\r\nproto\r\n:3\r\n")
        #expect(encoded(hello, .resp3) == "%2\r\n$6\r\nserver\r\n$6\r\ntroupe\r\n$5\r\nproto\r\n:3\r\n")
        let anyKey: WireValue = .map([WireValue.Field(key: .integer(1), value: .null)])
        #expect(encoded(anyKey, .resp3) == "%1\r\n:1\r\n_\r\n")
    }

    @Test func pushesAreArraysInRESP2() {
        let push: WireValue = .push([.bulk("unlocked"), .bulk("forge"), .integer(2), .integer(5)])
        #expect(encoded(push, .resp2) == "*4\r\n$8\r\nunlocked\r\n$5\r\nforge\r\n:2\r\n:5\r\n")
        #expect(encoded(push, .resp3) == ">4\r\n$8\r\nunlocked\r\n$5\r\nforge\r\n:2\r\n:5\r\n")
    }

    @Test func parserErrorsEncodeAsTheirReply() {
        var buffer: [UInt8] = []
        RESPEncoder().error(.lineTooLong(limit: 65_536), into: &buffer)
        #expect(buffer == bytes("-TOOLARGE line exceeds 65536 bytes\r\n"))
    }

    @Test func encodingAppendsAfterWhatTheBufferHolds() {
        var buffer = bytes("+PONG\r\n")
        let encoder = RESPEncoder(version: .resp3)
        encoder.pushHeader(count: 2, into: &buffer)
        encoder.bulk("message", into: &buffer)
        encoder.bulk(bytes("lobby")[...], into: &buffer)
        encoder.mapHeader(count: 1, into: &buffer)
        encoder.simple("k", into: &buffer)
        encoder.integer(1, into: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == "+PONG\r\n>2\r\n$7\r\nmessage\r\n$5\r\nlobby\r\n%1\r\n+k\r\n:1\r\n")
    }

    @Test func encodedRequestsParseBack() throws {
        var buffer: [UInt8] = []
        let encoder = RESPEncoder()
        encoder.arrayHeader(count: 3, into: &buffer)
        for argument in ["SAY", "lobby", "hi\r\nthere"] { encoder.bulk(argument, into: &buffer) }
        var parser = RequestParser()
        parser.append(buffer)
        #expect(try parser.next()?.texts == ["SAY", "lobby", "hi\r\nthere"])
    }
}
