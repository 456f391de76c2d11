import Testing
import Troupe
import TroupeBackend

/// Request arguments from strings, as the front hands them over.
func args(_ s: String...) -> [[UInt8]] { s.map { Array($0.utf8) } }

/// The command `arguments` parse to, or nil if they are refused.
private func parsed(_ arguments: [[UInt8]]) -> Command? { try? Command.parse(arguments) }

/// The error `arguments` are refused with, or nil if they parse.
private func failure<Argument: Collection<UInt8>>(_ arguments: [Argument]) -> ErrorReply? {
    do {
        _ = try Command.parse(arguments)
        return nil
    } catch {
        return error
    }
}

private func user(_ name: String) -> UserName { UserName(unchecked: name) }
private func room(_ name: String) -> RoomName { RoomName(unchecked: name) }
private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
private func repeated(_ character: Character, _ count: Int) -> String { String(repeating: character, count: count) }

@Suite struct CommandParseTests {
    // MARK: Happy paths

    static let happyPaths: [([String], Command)] = [
        (["PING"], .ping(message: nil)),
        (["ping", "Hello World"], .ping(message: bytes("Hello World"))),
        (["HeAlTh"], .health),
        (["HELLO"], .hello(protocolVersion: nil, auth: nil)),
        (["hello", "2"], .hello(protocolVersion: 2, auth: nil)),
        (["Hello", "3"], .hello(protocolVersion: 3, auth: nil)),
        (
            ["HELLO", "3", "auth", "Alice", "Pass Word"],
            .hello(protocolVersion: 3, auth: .init(user: user("alice"), password: bytes("Pass Word")))
        ),
        (["quit"], .quit),
        (["REGISTER", "Alice_1", "Password1"], .register(user: user("alice_1"), password: bytes("Password1"))),
        (["login", "BOB", "Secret"], .login(.init(user: user("bob"), password: bytes("Secret")))),
        (["Auth", "bob", ""], .auth(.init(user: user("bob"), password: []))),
        (["RESUME", "ToKeN-As-Given"], .resume(token: bytes("ToKeN-As-Given"))),
        (["whoami"], .whoami),
        (["LOGOUT"], .logout),
        (["join", "Lobby-1"], .join(room("lobby-1"))),
        (["LEAVE", "lobby_2"], .leave(room("lobby_2"))),
        (["say", "Lobby", "  Hello,  World!  "], .say(room("lobby"), text: bytes("  Hello,  World!  "))),
        (["HISTORY", "lobby"], .history(room("lobby"), count: 50)),
        (["history", "LOBBY", "10"], .history(room("lobby"), count: 10)),
        (["DM", "Alice", "Hi There"], .dm(to: user("alice"), text: bytes("Hi There"))),
        (["dms", "Alice"], .dms(with: user("alice"), count: 50)),
        (["DMS", "alice", "7"], .dms(with: user("alice"), count: 7)),
        (["ENGAGE", "Message"], .engage(.message)),
        (["progress"], .progress),
        (["Unlocks"], .unlocks),
        (["VOTE", "Node-A"], .vote(NodeName(unchecked: "node-a"))),
        (["STATS"], .stats),
        (["metrics"], .metrics),
        (["TrEe"], .tree),
        (["WEIGHT", "MESSAGE", "5"], .weight(.message, points: 5)),
        (["crash", "/Root/Services/é"], .crash(path: "/Root/Services/é")),
    ]

    @Test(arguments: happyPaths)
    func parsesEveryCommandInAnyCase(input: [String], expected: Command) throws {
        let command = try Command.parse(input.map { Array($0.utf8) })
        #expect(command == expected)
        #expect(command.name == input[0].uppercased())
    }

    @Test func argumentsMayBeSlicesOfALargerBuffer() throws {
        // The front may hand over slices of its read buffer: indices then do not start at 0.
        let buffer = bytes("xxHISTORYlobby-7501x0")
        #expect(try Command.parse([buffer[2..<9], buffer[9..<16], buffer[16..<19]]) == .history(room("lobby-7"), count: 500))
        #expect(try Command.parse([buffer[2..<9], buffer[9..<16], buffer[20...]]) == .history(room("lobby-7"), count: 0))
        #expect(failure([buffer[2..<9], buffer[9..<16], buffer[17...]])?.text == "ERR count must be a non-negative integer")
    }

    // MARK: Arity

    static let arityErrors: [[String]] = [
        ["PING", "a", "b"], ["HEALTH", "x"], ["QUIT", "x"], ["REGISTER", "alice"], ["REGISTER", "alice", "password1", "x"],
        ["LOGIN", "alice"], ["LOGIN", "alice", "pw", "x"], ["AUTH"], ["AUTH", "alice", "pw", "x"], ["RESUME"],
        ["RESUME", "a", "b"], ["WHOAMI", "x"], ["LOGOUT", "x"], ["JOIN"], ["JOIN", "a", "b"], ["LEAVE"], ["LEAVE", "a", "b"],
        ["SAY", "lobby"], ["SAY", "lobby", "hi", "there"], ["HISTORY"], ["HISTORY", "lobby", "1", "2"], ["DM", "alice"],
        ["DM", "alice", "hi", "there"], ["DMS"], ["DMS", "alice", "1", "2"], ["ENGAGE"], ["ENGAGE", "a", "b"],
        ["PROGRESS", "x"], ["UNLOCKS", "x"], ["VOTE"], ["VOTE", "a", "b"], ["STATS", "x"], ["METRICS", "x"], ["TREE", "x"],
        ["WEIGHT", "message"], ["WEIGHT", "message", "1", "2"], ["CRASH"], ["CRASH", "/a", "/b"],
    ]

    @Test(arguments: arityErrors)
    func wrongArityIsRedisErr(input: [String]) {
        let reply = failure(input.map { Array($0.utf8) })
        #expect(reply?.text == "ERR wrong number of arguments for '\(input[0].lowercased())' command")
    }

    @Test func arityIsCheckedBeforeForm() {
        // A malformed name with too many arguments is an arity error, never DENIED or a name error.
        #expect(failure(args("LOGIN", "bad-name!", "pw", "extra"))?.text == "ERR wrong number of arguments for 'login' command")
        #expect(failure(args("Join", "bad name", "extra"))?.text == "ERR wrong number of arguments for 'join' command")
        #expect(failure(args("HISTORY", "bad name", "-1", "x"))?.text == "ERR wrong number of arguments for 'history' command")
    }

    // MARK: Names

    @Test func userNamesAtTheirEdges() {
        #expect(parsed(args("DM", "a", "t")) == .dm(to: user("a"), text: bytes("t")))
        #expect(parsed(args("DM", repeated("U", 32), "t")) == .dm(to: user(repeated("u", 32)), text: bytes("t")))
        #expect(parsed(args("DM", "Z_9", "t")) == .dm(to: user("z_9"), text: bytes("t")))
        #expect(failure(args("DM", repeated("u", 33), "t"))?.text == "ERR invalid user name '\(repeated("u", 33))'")
        #expect(failure(args("DM", "", "t"))?.text == "ERR invalid user name ''")
        #expect(failure(args("DM", "a-b", "t"))?.text == "ERR invalid user name 'a-b'")
        #expect(failure(args("DMS", "a.b"))?.text == "ERR invalid user name 'a.b'")
        #expect(failure(args("REGISTER", "al ice", "password1"))?.text == "ERR invalid user name 'al ice'")
    }

    @Test func roomNamesAtTheirEdges() {
        #expect(parsed(args("JOIN", "r")) == .join(room("r")))
        #expect(parsed(args("JOIN", repeated("R", 64))) == .join(room(repeated("r", 64))))
        #expect(parsed(args("LEAVE", "a-b_C9")) == .leave(room("a-b_c9")))
        #expect(failure(args("JOIN", repeated("r", 65)))?.text == "ERR invalid room name '\(repeated("r", 65))'")
        #expect(failure(args("JOIN", ""))?.text == "ERR invalid room name ''")
        #expect(failure(args("SAY", "a.b", "hi"))?.text == "ERR invalid room name 'a.b'")
        #expect(failure(args("HISTORY", "é"))?.text == "ERR invalid room name '\\xc3\\xa9'")
    }

    @Test func nodeNamesAtTheirEdges() {
        #expect(parsed(args("VOTE", "n")) == .vote(NodeName(unchecked: "n")))
        #expect(parsed(args("VOTE", repeated("N", 64))) == .vote(NodeName(unchecked: repeated("n", 64))))
        #expect(failure(args("VOTE", repeated("n", 65)))?.text == "ERR invalid node name '\(repeated("n", 65))'")
        #expect(failure(args("VOTE", "a/b"))?.text == "ERR invalid node name 'a/b'")
    }

    @Test func kindsAtTheirEdges() {
        #expect(parsed(args("ENGAGE", "k")) == .engage(EngagementKind(unchecked: "k")))
        #expect(parsed(args("ENGAGE", repeated("K", 32))) == .engage(EngagementKind(unchecked: repeated("k", 32))))
        #expect(failure(args("ENGAGE", repeated("k", 33)))?.text == "ERR invalid kind '\(repeated("k", 33))'")
        #expect(failure(args("ENGAGE", "a-b"))?.text == "ERR invalid kind 'a-b'")
        #expect(failure(args("WEIGHT", "a b", "1"))?.text == "ERR invalid kind 'a b'")
    }

    @Test func invalidNamesAreEchoedEscapedAndBounded() {
        let binary: [UInt8] = [0x61, 0x00, 0xFF, 0x0D, 0x0A, 0x5C, 0x27]
        #expect(failure([bytes("JOIN"), binary])?.text == "ERR invalid room name 'a\\x00\\xff\\x0d\\x0a\\\\''")
        // A megabyte of garbage is echoed only up to 128 bytes.
        let huge = [UInt8](repeating: UInt8(ascii: "!"), count: 1 << 20)
        #expect(failure([bytes("JOIN"), huge])?.text == "ERR invalid room name '\(repeated("!", 128))'")
    }

    @Test(arguments: ["", "a-b", "al ice", String(repeating: "u", count: 33), "é", "a\u{0}"])
    func malformedUserNameInCredentialsIsDeniedLikeAnUnknownUser(name: String) {
        #expect(failure(args("LOGIN", name, "password1")) == .invalidCredentials)
        #expect(failure(args("AUTH", name, "password1")) == .invalidCredentials)
        #expect(failure(args("HELLO", "3", "AUTH", name, "password1")) == .invalidCredentials)
        #expect(failure(args("REGISTER", name, "password1"))?.code == .err)
    }

    // MARK: Passwords

    @Test func registerPasswordLengthIsBounded() {
        let message = "ERR password must be 8 to 128 bytes"
        #expect(failure(args("REGISTER", "alice", repeated("p", 7)))?.text == message)
        for length in [8, 128] {
            let password = repeated("p", length)
            #expect(parsed(args("REGISTER", "alice", password)) == .register(user: user("alice"), password: bytes(password)))
        }
        #expect(failure(args("REGISTER", "alice", repeated("p", 129)))?.text == message)
        #expect(failure(args("REGISTER", "alice", ""))?.text == message)
        // Bytes, not characters: four two-byte characters are eight bytes.
        #expect(parsed(args("REGISTER", "alice", "éééé")) == .register(user: user("alice"), password: bytes("éééé")))
    }

    // MARK: Counts and points

    static let goodCounts: [(String, Int)] = [
        ("0", 0), ("1", 1), ("500", 500), ("501", 500), ("9223372036854775807", 500),
    ]

    @Test(arguments: goodCounts)
    func countsAreClampedTo500(text: String, expected: Int) {
        #expect(parsed(args("HISTORY", "lobby", text)) == .history(room("lobby"), count: expected))
        #expect(parsed(args("DMS", "alice", text)) == .dms(with: user("alice"), count: expected))
    }

    static let badCounts = [
        "-1", "abc", "99999999999999999999999", "9223372036854775808", "-9223372036854775808", "+5", "", " 5", "5 ", "05",
        "-0", "1e3", "5.0", "-",
    ]

    @Test(arguments: badCounts)
    func malformedOrNegativeCountsAreErr(text: String) {
        #expect(failure(args("HISTORY", "lobby", text))?.text == "ERR count must be a non-negative integer")
        #expect(failure(args("DMS", "alice", text))?.text == "ERR count must be a non-negative integer")
    }

    @Test func weightPointsAreBounded() {
        let message = "ERR points must be an integer from 0 to 1000000000"
        #expect(parsed(args("WEIGHT", "message", "0")) == .weight(.message, points: 0))
        #expect(parsed(args("WEIGHT", "message", "1000000000")) == .weight(.message, points: 1_000_000_000))
        #expect(failure(args("WEIGHT", "message", "1000000001"))?.text == message)
        #expect(failure(args("WEIGHT", "message", "-1"))?.text == message)
        #expect(failure(args("WEIGHT", "message", "1e9"))?.text == message)
        #expect(failure(args("WEIGHT", "message", "99999999999999999999999"))?.text == message)
        #expect(failure(args("WEIGHT", "message", repeated("9", 100_000)))?.text == message)
    }

    // MARK: HELLO

    @Test func helloVersionsFollowRedis() {
        #expect(parsed(args("HELLO")) == .hello(protocolVersion: nil, auth: nil))
        #expect(parsed(args("HELLO", "2")) == .hello(protocolVersion: 2, auth: nil))
        #expect(parsed(args("HELLO", "3")) == .hello(protocolVersion: 3, auth: nil))
        #expect(failure(args("HELLO", "4"))?.text == "NOPROTO unsupported protocol version")
        #expect(failure(args("HELLO", "1"))?.text == "NOPROTO unsupported protocol version")
        #expect(failure(args("HELLO", "-3"))?.text == "NOPROTO unsupported protocol version")
        #expect(failure(args("HELLO", "x"))?.text == "ERR Protocol version is not an integer or out of range")
        #expect(failure(args("HELLO", "99999999999999999999"))?.text == "ERR Protocol version is not an integer or out of range")
        // As Redis: without a version, AUTH is read as one.
        #expect(failure(args("HELLO", "AUTH", "alice", "pw"))?.text == "ERR Protocol version is not an integer or out of range")
    }

    @Test func helloAuthFollowsRedis() {
        let alice = Command.Credentials(user: user("alice"), password: bytes("pw"))
        #expect(parsed(args("HELLO", "3", "AUTH", "alice", "pw")) == .hello(protocolVersion: 3, auth: alice))
        #expect(parsed(args("HELLO", "2", "aUtH", "ALICE", "pw")) == .hello(protocolVersion: 2, auth: alice))
        // A repeated AUTH replaces the earlier one, as in Redis.
        #expect(parsed(args("HELLO", "3", "AUTH", "bob", "x", "AUTH", "alice", "pw")) == .hello(protocolVersion: 3, auth: alice))
        #expect(failure(args("HELLO", "3", "AUTH", "alice"))?.text == "ERR Syntax error in HELLO option 'AUTH'")
        #expect(failure(args("HELLO", "3", "auth"))?.text == "ERR Syntax error in HELLO option 'auth'")
        #expect(failure(args("HELLO", "3", "SETNAME", "x"))?.text == "ERR Syntax error in HELLO option 'SETNAME'")
        #expect(failure(args("HELLO", "3", "AUTH", "alice", "pw", "extra"))?.text == "ERR Syntax error in HELLO option 'extra'")
        // The version is checked first, then the syntax, then the user name.
        #expect(failure(args("HELLO", "4", "AUTH", "bad-name", "pw"))?.code == .noproto)
        #expect(failure(args("HELLO", "3", "AUTH", "bad-name", "pw", "x"))?.text == "ERR Syntax error in HELLO option 'x'")
        #expect(failure(args("HELLO", "3", "AUTH", "bad-name", "pw")) == .invalidCredentials)
    }

    // MARK: Unknown and empty

    @Test func unknownCommandsGetRedisText() {
        #expect(failure(args("FOO"))?.text == "ERR unknown command 'FOO', with args beginning with: ")
        #expect(failure(args("foo", "a", "b c"))?.text == "ERR unknown command 'foo', with args beginning with: 'a' 'b c' ")
        // Near misses of real names.
        for name in ["PIN", "PINGS", "REGISTERS", "", "DM\u{0}", "PİNG"] {
            #expect(failure(args(name))?.text.hasPrefix("ERR unknown command '") == true, "\(name)")
        }
        #expect(
            failure([[0x50, 0x00, 0xFF], [0x0D, 0x0A]])?.text
                == "ERR unknown command 'P\\x00\\xff', with args beginning with: '\\x0d\\x0a' "
        )
    }

    @Test func unknownCommandEchoIsTruncatedAsRedis() {
        // The name shows at most 128 bytes.
        #expect(failure(args(repeated("x", 200)))?.text == "ERR unknown command '\(repeated("x", 128))', with args beginning with: ")
        // Arguments show until 128 bytes of them (quotes and spaces counted) have been echoed.
        let prefix = "ERR unknown command 'foo', with args beginning with: "
        #expect(failure(args("foo", repeated("a", 200), "b"))?.text == prefix + "'\(repeated("a", 128))' ")
        #expect(failure(args("foo", repeated("a", 120), "bcdefgh"))?.text == prefix + "'\(repeated("a", 120))' 'bcdef' ")
    }

    @Test func anEmptyRequestIsErr() {
        #expect(failure([[UInt8]]())?.code == .err)
    }

    // MARK: Binary safety

    @Test func binaryArgumentsAreKeptAsGiven() {
        let binary: [UInt8] = [0x00, 0xFF, 0x0D, 0x0A, 0x80, 0x20]
        #expect(parsed([bytes("PING"), binary]) == .ping(message: binary))
        #expect(parsed([bytes("SAY"), bytes("lobby"), binary]) == .say(room("lobby"), text: binary))
        #expect(parsed([bytes("DM"), bytes("alice"), binary]) == .dm(to: user("alice"), text: binary))
        #expect(parsed([bytes("RESUME"), binary]) == .resume(token: binary))
        #expect(parsed([bytes("LOGIN"), bytes("alice"), binary]) == .login(.init(user: user("alice"), password: binary)))
        #expect(failure([bytes("CRASH"), [0xFF]])?.text == "ERR path must be valid UTF-8")
        #expect(failure([bytes("HISTORY"), bytes("lobby"), [0x00]])?.text == "ERR count must be a non-negative integer")
        #expect(failure([bytes("HELLO"), [0xFF], [0x00]])?.text == "ERR Protocol version is not an integer or out of range")
        #expect(failure([bytes("HELLO"), bytes("3"), [0xFF]])?.text == "ERR Syntax error in HELLO option '\\xff'")
    }

    // MARK: Random inputs

    @Test func randomArgumentListsNeverTrap() {
        var random = SplitMix64(seed: 0x7E0_07E)
        let verbs = [
            "PING", "HEALTH", "HELLO", "QUIT", "REGISTER", "LOGIN", "AUTH", "RESUME", "WHOAMI", "LOGOUT", "JOIN", "LEAVE", "SAY",
            "HISTORY", "DM", "DMS", "ENGAGE", "PROGRESS", "UNLOCKS", "VOTE", "STATS", "METRICS", "TREE", "WEIGHT", "CRASH",
        ]
        let words = ["0", "2", "3", "4", "-1", "500", "501", "1000000000", "99999999999999999999", "auth", "AUTH", "password1"]
        var parsedCount = 0
        var codes: [ErrorCode: Int] = [:]
        for _ in 0..<10_000 {
            var arguments: [[UInt8]] = []
            let verb = random.pick(verbs)
            // One request in ten has a garbage name; the others a real one in random case.
            if random.next(below: 10) == 0 {
                arguments.append(random.bytes(count: random.next(below: 12), from: 0...255))
            } else {
                arguments.append(verb.utf8.map { random.next(below: 2) == 0 ? $0 | 0x20 : $0 })
            }
            for _ in 0..<random.next(below: 6) {
                switch random.next(below: 3) {
                case 0: arguments.append(random.bytes(count: random.next(below: 40), from: 0...255))
                case 1: arguments.append(random.bytes(count: random.next(below: 70), fromAlphabet: Array("aZ09_-".utf8)))
                default: arguments.append(bytes(random.pick(words)))
                }
            }
            do {
                let command = try Command.parse(arguments)
                parsedCount += 1
                #expect(command.name == String(decoding: arguments[0], as: UTF8.self).uppercased())
                switch command {
                case .history(_, let count), .dms(_, let count): #expect((0...Command.maxCount).contains(count))
                case .weight(_, let points): #expect(Command.weightPoints.contains(points))
                case .hello(let version, _): #expect(version == nil || version == 2 || version == 3)
                default: break
                }
            } catch {
                codes[error.code, default: 0] += 1
                #expect([.err, .denied, .noproto].contains(error.code), "\(error)")
            }
        }
        // The inputs reach every outcome, so the checks above are exercised.
        #expect(parsedCount > 500)
        #expect(codes[.err, default: 0] > 500)
        #expect(codes[.denied, default: 0] > 0)
        #expect(codes[.noproto, default: 0] > 0)
    }
}

/// Choices for the random test, over the runtime's seeded generator (the same on every run).
extension SplitMix64 {
    mutating func next(below bound: Int) -> Int { Int.random(in: 0..<bound, using: &self) }

    mutating func pick<T>(_ choices: [T]) -> T { choices[next(below: choices.count)] }

    mutating func bytes(count: Int, from range: ClosedRange<UInt8>) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: range, using: &self) }
    }

    mutating func bytes(count: Int, fromAlphabet alphabet: [UInt8]) -> [UInt8] {
        (0..<count).map { _ in pick(alphabet) }
    }
}
