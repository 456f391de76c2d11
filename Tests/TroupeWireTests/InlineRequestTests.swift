import Testing
import TroupeWire

/// Inline requests: separators, terminators, quotes, escapes, verbatim tails.
@Suite struct InlineRequestTests {
    @Test func aLineEndsWithLFOrCRLF() {
        let outcome = parse(bytes("PING\nPING\r\nECHO hi\r\n"))
        #expect(outcome.error == nil)
        #expect(outcome.texts == [["PING"], ["PING"], ["ECHO", "hi"]])
        #expect(outcome.requests.allSatisfy { $0.form == .inline })
        #expect(outcome.requests.map { $0.line.map(Array.init) } == [bytes("PING"), bytes("PING"), bytes("ECHO hi")])
    }

    @Test func spacesAndTabsSeparateAndSurroundingSeparatorsAreIgnored() {
        let outcome = parse(bytes(" \tSET  key\t\tvalue \t\r\n"))
        #expect(outcome.texts == [["SET", "key", "value"]])
    }

    @Test func emptyAndBlankLinesAreIgnored() {
        let outcome = parse(bytes("\r\n\n   \r\n\t\nPING\r\n\n"))
        #expect(outcome.error == nil)
        #expect(outcome.texts == [["PING"]])
    }

    @Test func aLineWaitsForItsTerminator() throws {
        var parser = RequestParser()
        parser.append(bytes("PING"))
        #expect(try parser.next() == nil)
        #expect(parser.hasPartialRequest)
        parser.append(bytes("\r"))
        #expect(try parser.next() == nil)
        parser.append(bytes("\n"))
        #expect(try parser.next()?.texts == ["PING"])
        #expect(try parser.next() == nil)
        #expect(!parser.hasPartialRequest)
    }

    @Test func doubleQuotesGroupAnArgument() {
        let outcome = parse(bytes(#"SET "hello world" "" x"y z" "a"\#n"#))
        #expect(outcome.error == nil)
        #expect(outcome.texts == [["SET", "hello world", "", "xy z", "a"]])
    }

    @Test func everyEscapeInsideQuotes() {
        let line = #"E "\"" "\\" "\n" "\r" "\t" "\x41\xff\x0a" "\b\a" "\q" "\x4" "a\x4Gb""# + "\r\n"
        let outcome = parse(bytes(line))
        #expect(outcome.error == nil)
        let arguments = outcome.requests.first?.arguments.map(Array.init)
        #expect(
            arguments == [
                bytes("E"), [0x22], [0x5C], [0x0A], [0x0D], [0x09], [0x41, 0xFF, 0x0A], [0x08, 0x07], bytes("q"),
                // `\x` without two hex digits is a plain `x`, as in Redis.
                bytes("x4"), bytes("ax4Gb"),
            ])
    }

    @Test func escapesOutsideQuotesAreLiteral() {
        #expect(parse(bytes(#"SET a\nb \x41"# + "\n")).texts == [["SET", #"a\nb"#, #"\x41"#]])
    }

    @Test(arguments: [#"SET "abc"#, #"SET "abc\"#, #"SET "abc"def"#, #"SET ""x"#, #"""#, #"A "b\""#])
    func unbalancedQuotesAreAnErrorThatCloses(line: String) {
        let error = parseError(of: bytes(line + "\r\n"))
        #expect(error == .unbalancedQuotes)
        #expect(error?.replyText == "ERR protocol error: unbalanced quotes in request")
        #expect(error?.closesConnection == true)
    }

    @Test func aClosingQuoteMayBeFollowedByATabOrTheEnd() {
        #expect(parse(bytes("A \"b\"\tc \"d\"\r\n")).texts == [["A", "b", "c", "d"]])
    }

    @Test func argumentsAreBinaryBytes() {
        let outcome = parse([0x41, 0x20, 0x00, 0xFF, 0x0D, 0x62, 0x0A])
        // A NUL, a high byte and a lone CR inside a line are argument bytes.
        #expect(outcome.requests.first?.arguments.map(Array.init) == [[0x41], [0x00, 0xFF, 0x0D, 0x62]])
    }

    @Test func plainArgumentsAreSlicesOfTheReadBuffer() throws {
        var parser = RequestParser()
        parser.append(bytes(#"SET key "quoted" "esc\n"\#r\#n"#))
        let request = try #require(try parser.next())
        let base = request.arguments[0].withUnsafeBufferPointer { $0.baseAddress }
        // `key` and `quoted` point into the same storage as `SET`: no copies.
        #expect(request.arguments[1].withUnsafeBufferPointer { $0.baseAddress } == base.map { $0 + 4 })
        #expect(request.arguments[2].withUnsafeBufferPointer { $0.baseAddress } == base.map { $0 + 9 })
        #expect(request.line?.withUnsafeBufferPointer { $0.baseAddress } == base)
        // An argument with an escape had to be decoded: a copy.
        #expect(request.arguments[3].startIndex == 0)
        #expect(Array(request.arguments[3]) == bytes("esc\n"))
    }

    // MARK: Verbatim text (PROTOCOL.md: inline SAY and DM)

    @Test func configuredCommandsTakeTheRestOfTheLineVerbatim() {
        let parser = RequestParser(verbatimTails: ["say": 2, "DM": 2])
        let input = #"say lobby  two spaces, "unbalanced \x41"# + "\r\n"
            + #"SAY "lob by" x"# + "\n"
            + "Say lobby\r\n"
            + "say lobby \r\n"
            + "dm bob\thi\t\r\n"
            + #"ECHO "a b" c"# + "\n"
        let outcome = parse(bytes(input), parser: parser)
        #expect(outcome.error == nil)
        #expect(
            outcome.texts == [
                ["say", "lobby", #" two spaces, "unbalanced \x41"#],
                ["SAY", "lob by", "x"],
                // No text: the front answers the arity error.
                ["Say", "lobby"],
                // One separator and nothing after it: empty text.
                ["say", "lobby", ""],
                ["dm", "bob", "hi\t"],
                // Other commands are split as usual.
                ["ECHO", "a b", "c"],
            ])
    }

    @Test func inlineTailGivesTheVerbatimRestOfAnyInlineRequest() throws {
        var parser = RequestParser()
        parser.append(bytes(#"SAY "lobby"  hello  "world"\#r\#n"#))
        let request = try #require(try parser.next())
        #expect(request.inlineTail(afterArguments: 2).map(Array.init) == bytes(#" hello  "world""#))
        #expect(request.inlineTail(afterArguments: 1).map(Array.init) == bytes(#""lobby"  hello  "world""#))
        #expect(request.inlineTail(afterArguments: 4) == nil)
        parser.append(bytes("*2\r\n$3\r\nSAY\r\n$5\r\nlobby\r\n"))
        let multibulk = try #require(try parser.next())
        #expect(multibulk.inlineTail(afterArguments: 1) == nil)
    }
}
