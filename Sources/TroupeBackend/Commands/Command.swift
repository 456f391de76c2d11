/// One request of PROTOCOL.md, parsed and validated: every argument has its type and has
/// passed its rules (names, counts, points, arity). Made by ``Command/parse(_:)`` from a
/// request's byte-string arguments; answered by ``Backend/execute(_:on:)``.
public enum Command: Sendable, Hashable {
    // Anonymous: always available.
    /// `PING [message]`.
    case ping(message: [UInt8]?)
    /// `HEALTH`.
    case health
    /// `HELLO [2|3] [AUTH <user> <password>]`; `protocolVersion` nil keeps the current one.
    case hello(protocolVersion: Int?, auth: Credentials?)
    /// `QUIT`.
    case quit
    /// `REGISTER <user> <password>` (password 8–128 bytes).
    case register(user: UserName, password: [UInt8])
    /// `LOGIN <user> <password>`: replies with a token.
    case login(Credentials)
    /// `AUTH <user> <password>`: as `LOGIN`, replies `+OK`.
    case auth(Credentials)
    /// `RESUME <token>`.
    case resume(token: [UInt8])
    /// `WHOAMI`.
    case whoami

    // Logged in.
    /// `LOGOUT`.
    case logout
    /// `JOIN <room>`.
    case join(RoomName)
    /// `LEAVE <room>`.
    case leave(RoomName)
    /// `SAY <room> <text>`.
    case say(RoomName, text: [UInt8])
    /// `HISTORY <room> [count]`, count already clamped to 0...500.
    case history(RoomName, count: Int)
    /// `DM <user> <text>`.
    case dm(to: UserName, text: [UInt8])
    /// `DMS <user> [count]`, count already clamped to 0...500.
    case dms(with: UserName, count: Int)
    /// `ENGAGE <kind>`.
    case engage(EngagementKind)
    /// `PROGRESS`.
    case progress
    /// `UNLOCKS`.
    case unlocks
    /// `VOTE <node>`.
    case vote(NodeName)

    // Admin.
    /// `STATS`.
    case stats
    /// `METRICS`.
    case metrics
    /// `TREE`.
    case tree
    /// `WEIGHT <kind> <points>` (points 0...1,000,000,000).
    case weight(EngagementKind, points: Int64)
    /// `CRASH <path>` (the path as given; the backend resolves it).
    case crash(path: String)

    /// A user name and password as `LOGIN`, `AUTH` and `HELLO … AUTH` carry them.
    public struct Credentials: Sendable, Hashable {
        /// The user.
        public let user: UserName
        /// The password as given (binary-safe).
        public let password: [UInt8]

        /// Credentials for `user`.
        public init(user: UserName, password: [UInt8]) {
            self.user = user
            self.password = password
        }
    }

    /// Default `count` of `HISTORY` and `DMS`.
    public static let defaultCount = 50
    /// Largest `count` of `HISTORY` and `DMS`; above is clamped to it.
    public static let maxCount = 500
    /// Password length bounds of `REGISTER`, inclusive.
    public static let passwordLength = 8...128
    /// Bounds of `WEIGHT`'s points, inclusive.
    public static let weightPoints: ClosedRange<Int64> = 0...1_000_000_000

    /// The command's name as the protocol spells it (upper case), for metrics and logs.
    public var name: String {
        switch self {
        case .ping: "PING"
        case .health: "HEALTH"
        case .hello: "HELLO"
        case .quit: "QUIT"
        case .register: "REGISTER"
        case .login: "LOGIN"
        case .auth: "AUTH"
        case .resume: "RESUME"
        case .whoami: "WHOAMI"
        case .logout: "LOGOUT"
        case .join: "JOIN"
        case .leave: "LEAVE"
        case .say: "SAY"
        case .history: "HISTORY"
        case .dm: "DM"
        case .dms: "DMS"
        case .engage: "ENGAGE"
        case .progress: "PROGRESS"
        case .unlocks: "UNLOCKS"
        case .vote: "VOTE"
        case .stats: "STATS"
        case .metrics: "METRICS"
        case .tree: "TREE"
        case .weight: "WEIGHT"
        case .crash: "CRASH"
        }
    }

    /// Whether the command is answered without a logged-in connection.
    public var isAnonymous: Bool {
        switch self {
        case .ping, .health, .hello, .quit, .register, .login, .auth, .resume, .whoami: true
        default: false
        }
    }

    /// Whether only an admin may run it.
    public var isAdminOnly: Bool {
        switch self {
        case .stats, .metrics, .tree, .weight, .crash: true
        default: false
        }
    }
}
