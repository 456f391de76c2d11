extension Command {
    /// Parses one request: `arguments[0]` is the command name (any case), the rest its
    /// arguments. Arity and form are checked before anything else, as Redis does.
    ///
    /// Never traps, whatever the bytes: every argument is binary-safe and every integer is
    /// parsed with overflow checks. Thrown codes are only `ERR`, `DENIED` (a malformed user
    /// name in `LOGIN`, `AUTH` and `HELLO … AUTH`, answered as an unknown user) and `NOPROTO`.
    ///
    /// - Throws: the ``ErrorReply`` to answer with, its text exactly as PROTOCOL.md says and,
    ///   where it is silent, as Redis words it.
    public static func parse<Argument: Collection<UInt8>>(_ arguments: [Argument]) throws(ErrorReply) -> Command {
        try parseArguments(arguments)
    }

    /// ``parse(_:)`` for the slices of a read buffer that the wire parser hands out: the
    /// front's form. Its own entry point so the compiler specializes the parser for it (a
    /// generic called across modules runs unspecialized, looking up type metadata at run
    /// time; that was a fifth of a pipelined PING's cost).
    public static func parse(_ arguments: [ArraySlice<UInt8>]) throws(ErrorReply) -> Command {
        try parseArguments(arguments)
    }

    private static func parseArguments<Argument: Collection<UInt8>>(_ arguments: [Argument]) throws(ErrorReply) -> Command {
        // Redis never sees an empty request (the framing drops `*0`); answer it all the same.
        guard let first = arguments.first else { throw .err("empty command") }
        guard let verb = Verb(first) else { throw unknownCommand(arguments) }
        guard verb.operands.contains(arguments.count - 1) else {
            throw .err("wrong number of arguments for '\(verb.rawValue)' command")
        }
        // From here on the arity is known, so `arguments[1...]` up to `verb.operands` exist.
        let a = arguments
        switch verb {
        case .ping: return .ping(message: a.count == 2 ? Array(a[1]) : nil)
        case .health: return .health
        case .hello: return try hello(a)
        case .quit: return .quit
        case .register:
            let user = try name(UserName.self, a[1], "user name")
            guard passwordLength.contains(a[2].count) else {
                throw .err("password must be \(passwordLength.lowerBound) to \(passwordLength.upperBound) bytes")
            }
            return .register(user: user, password: Array(a[2]))
        case .login: return .login(try credentials(a[1], a[2]))
        case .auth: return .auth(try credentials(a[1], a[2]))
        case .resume: return .resume(token: Array(a[1]))
        case .whoami: return .whoami
        case .logout: return .logout
        case .join: return .join(try name(RoomName.self, a[1], "room name"))
        case .leave: return .leave(try name(RoomName.self, a[1], "room name"))
        case .say: return .say(try name(RoomName.self, a[1], "room name"), text: Array(a[2]))
        case .history:
            let room = try name(RoomName.self, a[1], "room name")
            return .history(room, count: a.count == 3 ? try count(a[2]) : defaultCount)
        case .dm: return .dm(to: try name(UserName.self, a[1], "user name"), text: Array(a[2]))
        case .dms:
            let user = try name(UserName.self, a[1], "user name")
            return .dms(with: user, count: a.count == 3 ? try count(a[2]) : defaultCount)
        case .engage: return .engage(try name(EngagementKind.self, a[1], "kind"))
        case .progress: return .progress
        case .unlocks: return .unlocks
        case .vote: return .vote(try name(NodeName.self, a[1], "node name"))
        case .stats: return .stats
        case .metrics: return .metrics
        case .tree: return .tree
        case .weight:
            let kind = try name(EngagementKind.self, a[1], "kind")
            guard let points = decimal(a[2]), weightPoints.contains(points) else {
                throw .err("points must be an integer from \(weightPoints.lowerBound) to \(weightPoints.upperBound)")
            }
            return .weight(kind, points: points)
        case .crash:
            guard let path = String(validating: a[1], as: UTF8.self) else { throw .err("path must be valid UTF-8") }
            return .crash(path: path)
        }
    }

    /// `HELLO [protover [AUTH user pass]]`, checked in Redis's order: the version first, then
    /// the options' syntax, and only then the user name.
    private static func hello<Argument: Collection<UInt8>>(_ a: [Argument]) throws(ErrorReply) -> Command {
        guard a.count >= 2 else { return .hello(protocolVersion: nil, auth: nil) }
        guard let version = decimal(a[1]) else { throw .err("Protocol version is not an integer or out of range") }
        guard version == 2 || version == 3 else { throw ErrorReply(.noproto, "unsupported protocol version") }
        var auth: (user: Argument, password: Argument)?
        var index = 2
        while index < a.count {
            // As Redis: `AUTH` needs both of its values, else it is an unknown option; a
            // repeated `AUTH` replaces the earlier one.
            guard lowercasedASCII(a[index], maxLength: 4) == "auth", a.count - index > 2 else {
                throw .err("Syntax error in HELLO option '\(printable(a[index]))'")
            }
            auth = (a[index + 1], a[index + 2])
            index += 3
        }
        guard let auth else { return .hello(protocolVersion: Int(version), auth: nil) }
        return .hello(protocolVersion: Int(version), auth: try credentials(auth.user, auth.password))
    }

    /// Credentials of `LOGIN`, `AUTH` and `HELLO … AUTH`: a malformed user name is answered
    /// as an unknown user, so the reply never tells which names could exist.
    private static func credentials(_ user: some Collection<UInt8>, _ password: some Collection<UInt8>) throws(ErrorReply)
        -> Credentials
    {
        guard let user = UserName(user) else { throw .invalidCredentials }
        return Credentials(user: user, password: Array(password))
    }

    /// A name of kind `Name`, lower-cased; `-ERR invalid <label> '<bytes>'` if it breaks the rules.
    private static func name<Name: ValidatedName>(_: Name.Type, _ bytes: some Collection<UInt8>, _ label: String) throws(
        ErrorReply
    ) -> Name {
        guard let name = Name(bytes) else { throw .err("invalid \(label) '\(printable(bytes))'") }
        return name
    }

    /// A `count` of `HISTORY` and `DMS`: a non-negative decimal integer, clamped to ``maxCount``.
    private static func count(_ bytes: some Collection<UInt8>) throws(ErrorReply) -> Int {
        guard let value = decimal(bytes), value >= 0 else { throw .err("count must be a non-negative integer") }
        return Int(min(value, Int64(maxCount)))
    }

    /// The most bytes of one argument an error text echoes, as Redis's `%.128s`.
    fileprivate static let echoLimit = 128

    /// Redis's reply to an unknown command: the name and the arguments, each quoted and
    /// followed by a space, until about ``echoLimit`` bytes of arguments have been echoed.
    private static func unknownCommand<Argument: Collection<UInt8>>(_ arguments: [Argument]) -> ErrorReply {
        var echoed = ""
        var used = 0  // Raw bytes of the list so far, quotes and spaces included, as Redis counts.
        for argument in arguments.dropFirst() where used < echoLimit {
            let shown = argument.prefix(echoLimit - used)
            echoed += "'\(printable(shown))' "
            used += shown.count + 3
        }
        let name = arguments.first.map { printable($0) } ?? ""
        return .err("unknown command '\(name)', with args beginning with: \(echoed)")
    }
}

// MARK: - Byte helpers

extension Command {
    /// `bytes` as a decimal `Int64` with Redis's `string2ll` rules: an optional `-`, then
    /// digits without leading zeros (`0` alone is zero); no `+`, spaces or empty text. Nil if
    /// malformed or out of range; never traps (overflow is checked, length bounded first).
    fileprivate static func decimal(_ bytes: some Collection<UInt8>) -> Int64? {
        // The longest Int64 is "-9223372036854775808", 20 bytes; longer cannot fit.
        guard (1...20).contains(bytes.count) else { return nil }
        var digits = bytes[...]
        let negative = digits.first == UInt8(ascii: "-")
        if negative { digits = digits.dropFirst() }
        guard let lead = digits.first else { return nil }
        if lead == UInt8(ascii: "0") { return !negative && digits.count == 1 ? 0 : nil }
        var magnitude: UInt64 = 0
        for byte in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            let (shifted, overflowed) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, carried) = shifted.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !overflowed, !carried else { return nil }
            magnitude = sum
        }
        if negative {
            // -2^63 is representable, +2^63 is not: negate in two's complement.
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return Int64(bitPattern: 0 &- magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    /// `bytes` lower-cased as a `String`, if they are at most `maxLength` ASCII bytes; else nil.
    /// With `maxLength` ≤ 15 the result is a small string: no heap allocation.
    fileprivate static func lowercasedASCII(_ bytes: some Collection<UInt8>, maxLength: Int) -> String? {
        guard bytes.count <= maxLength, bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
        return String(unsafeUninitializedCapacity: bytes.count) { buffer in
            for (offset, byte) in bytes.enumerated() {
                buffer[offset] = (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
            }
            return bytes.count
        }
    }

    /// `bytes` safe to put in an error line: printable ASCII as is, `\` as `\\`, every other
    /// byte (line ends, NUL, non-ASCII) as `\xHH`; at most ``echoLimit`` bytes are shown.
    fileprivate static func printable(_ bytes: some Collection<UInt8>) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var text = ""
        for byte in bytes.prefix(echoLimit) {
            switch byte {
            case UInt8(ascii: "\\"): text += "\\\\"
            case 0x20...0x7E: text.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                text += "\\x"
                text.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
                text.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 0x0F)]))
            }
        }
        return text
    }
}

/// The command names of PROTOCOL.md (lower case, as Redis words its arity errors) and how
/// many arguments each takes after its name.
private enum Verb: String, CaseIterable {
    case ping, health, hello, quit, register, login, auth, resume, whoami
    case logout, join, leave, say, history, dm, dms, engage, progress, unlocks, vote
    case stats, metrics, tree, weight, crash


    /// Each verb by its name's bytes packed into an integer (every name fits in 8 bytes), so
    /// finding the verb of a request hashes one integer instead of building a `String`.
    private static let byPackedName: [UInt64: Verb] = Dictionary(
        uniqueKeysWithValues: allCases.map { (packed($0.rawValue.utf8, lowercasing: false)!, $0) }
    )

    /// Up to 8 ASCII bytes, lower-cased, in one integer (little-endian); nil for anything longer,
    /// not ASCII, or holding a NUL (which would pack like a shorter name: `ping\0` as `ping`).
    private static func packed(_ bytes: some Collection<UInt8>, lowercasing: Bool) -> UInt64? {
        guard bytes.count <= 8 else { return nil }
        var value: UInt64 = 0
        var shift: UInt64 = 0
        for byte in bytes {
            guard byte != 0, byte < 0x80 else { return nil }
            let folded = lowercasing && byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
            value |= UInt64(folded) << shift
            shift += 8
        }
        return value
    }

    /// The verb named by `bytes`, compared ASCII case-insensitively; nil if unknown.
    init?(_ bytes: some Collection<UInt8>) {
        guard let key = Self.packed(bytes, lowercasing: true), let verb = Self.byPackedName[key] else { return nil }
        self = verb
    }

    /// Arguments allowed after the name. `HELLO` takes any number, as in Redis (arity -1):
    /// its own syntax check names the offending option.
    var operands: ClosedRange<Int> {
        switch self {
        case .health, .quit, .whoami, .logout, .progress, .unlocks, .stats, .metrics, .tree: 0...0
        case .ping: 0...1
        case .hello: 0...Int.max
        case .resume, .join, .leave, .engage, .vote, .crash: 1...1
        case .history, .dms: 1...2
        case .register, .login, .auth, .say, .dm, .weight: 2...2
        }
    }
}
