public import Troupe
public import TroupeStore
import Glibc

/// The value kinds of the command line, each a pure function from text to a value with its
/// bounds, and the inverse formatting used for defaults in `--help`. Nothing here traps on
/// input: every overflow is a ``ValueError``.
public enum ValueParser {
    /// The largest duration any flag accepts: 100 years (``BackendConfiguration/longestDuration``'s bound).
    public static let longestDuration: Duration = .seconds(100 * 365 * 24 * 3_600)

    /// A non-negative decimal integer within `range`: digits only (no sign, no spaces, no
    /// separators), so `-1`, `+5`, `1e3` and `0x10` are refused.
    public static func integer(_ text: String, in range: ClosedRange<Int>) throws(ValueError) -> Int {
        let expected = ValueError("expected an integer from \(range.lowerBound) to \(range.upperBound)")
        guard let value = digits(text) else { throw expected }
        guard range.contains(value) else { throw expected }
        return value
    }

    /// A duration: an integer and a unit, `ms`, `s`, `m`, `h` or `d` (`500ms`, `30s`, `10m`,
    /// `30d`), or a plain integer of seconds; within `range`.
    public static func duration(_ text: String, in range: ClosedRange<Duration> = .milliseconds(1)...longestDuration) throws(ValueError) -> Duration {
        let expected = ValueError("expected a duration from \(format(range.lowerBound)) to \(format(range.upperBound)), e.g. 500ms, 30s, 10m, 2h, 30d or plain seconds")
        let units: [(suffix: String, milliseconds: Int)] = [("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        var number = Substring(text)
        var scale = 1_000
        // Longest suffix first: `ms` before `s` and `m`.
        for unit in units.sorted(by: { $0.suffix.count > $1.suffix.count }) where text.hasSuffix(unit.suffix) {
            number = text.dropLast(unit.suffix.count)
            scale = unit.milliseconds
            break
        }
        guard let count = digits(String(number)) else { throw expected }
        let (milliseconds, overflow) = count.multipliedReportingOverflow(by: scale)
        guard !overflow, milliseconds <= Int(longestDuration.components.seconds) * 1_000 else { throw expected }
        let duration = Duration.milliseconds(milliseconds)
        guard range.contains(duration) else { throw expected }
        return duration
    }

    /// A size in bytes: a plain integer, or an integer with `B`, `KiB`, `MiB` or `GiB`
    /// (`65536`, `4MiB`); within `range`.
    public static func byteSize(_ text: String, in range: ClosedRange<Int>) throws(ValueError) -> Int {
        let expected = ValueError("expected a size from \(formatBytes(range.lowerBound)) to \(formatBytes(range.upperBound)), e.g. 65536, 64KiB, 4MiB or 1GiB")
        let units: [(suffix: String, bytes: Int)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("B", 1)]
        var number = Substring(text)
        var scale = 1
        for unit in units where text.hasSuffix(unit.suffix) {
            number = text.dropLast(unit.suffix.count)
            scale = unit.bytes
            break
        }
        guard let count = digits(String(number)) else { throw expected }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: scale)
        guard !overflow, range.contains(bytes) else { throw expected }
        return bytes
    }

    /// A rate: `N/s`, `N/m`, `N/h` or `N/<duration>` (`20/s`, `5/m`, `100/10s`): `N` (from 1
    /// to `maxCount`) tokens per period. Returns the count and the period.
    public static func rate(_ text: String, maxCount: Int = 100_000_000) throws(ValueError) -> (count: Int, period: Duration) {
        let expected = ValueError("expected a rate N/s, N/m, N/h or N/<duration> with N from 1 to \(maxCount), e.g. 20/s")
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let count = digits(String(parts[0])), (1...maxCount).contains(count) else { throw expected }
        let period: Duration
        switch parts[1] {
        case "s": period = .seconds(1)
        case "m": period = .seconds(60)
        case "h": period = .seconds(3_600)
        default:
            // A duration without a count of its own ("s") was handled above; "10s", "500ms" here.
            guard let parsed = try? duration(String(parts[1])) else { throw expected }
            period = parsed
        }
        return (count, period)
    }

    /// A database: `sqlite:PATH` (a file; `sqlite:./troupe.db` is the default) or a PostgreSQL
    /// URL starting `postgres://` or `postgresql://`, handed to libpq as written.
    public static func database(_ text: String) throws(ValueError) -> DatabaseConfiguration {
        if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty, !path.utf8.contains(0) else { throw ValueError("expected sqlite:PATH with a file path") }
            return .sqlite(SQLiteConfiguration(path: path))
        }
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            guard !text.utf8.contains(0), !text.contains(where: \.isWhitespace) else {
                throw ValueError("a PostgreSQL URL has no spaces or control characters")
            }
            return .postgres(PostgresConfiguration(url: text))
        }
        throw ValueError("expected sqlite:PATH or a postgres:// or postgresql:// URL")
    }

    /// A log level: `debug`, `info`, `warning` (or `warn`) or `error`, in any case.
    public static func logLevel(_ text: String) throws(ValueError) -> LogLevel {
        switch text.lowercased() {
        case "debug": .debug
        case "info": .info
        case "warning", "warn": .warning
        case "error": .error
        default: throw ValueError("expected debug, info, warning or error")
        }
    }

    /// A host to listen on: a numeric IPv4 or IPv6 address (`0.0.0.0`, `127.0.0.1`, `::`,
    /// `::1`) or `localhost`. Names are not resolved: a listening address is the operator's to
    /// state, and resolving it would wait on DNS at start.
    public static func host(_ text: String) throws(ValueError) -> String {
        var inet = in_addr()
        var inet6 = in6_addr()
        guard text == "localhost" || inet_pton(AF_INET, text, &inet) == 1 || inet_pton(AF_INET6, text, &inet6) == 1 else {
            throw ValueError("expected an IPv4 or IPv6 address (such as 127.0.0.1, 0.0.0.0, ::1 or ::) or localhost")
        }
        return text
    }

    /// A TCP port, 0 to 65535 (0: an ephemeral port).
    public static func port(_ text: String) throws(ValueError) -> Int {
        try integer(text, in: 0...65_535)
    }

    /// A boolean: `true`/`false`, `yes`/`no`, `on`/`off`, `1`/`0`, in any case.
    public static func boolean(_ text: String) throws(ValueError) -> Bool {
        switch text.lowercased() {
        case "true", "yes", "on", "1": true
        case "false", "no", "off", "0": false
        default: throw ValueError("expected true or false")
        }
    }

    // MARK: Formatting (the inverse, for `--help` and the banner)

    /// `duration` in the largest unit that writes it exactly: `30d`, `10m`, `30s`, `500ms`
    /// (sub-millisecond parts are written in `ns`).
    public static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        guard attoseconds == 0 else {
            if attoseconds % 1_000_000_000_000_000 == 0, seconds < Int64.max / 1_000 {
                return "\(seconds * 1_000 + attoseconds / 1_000_000_000_000_000)ms"
            }
            return "\(duration)"
        }
        for (suffix, unit) in [("d", Int64(86_400)), ("h", 3_600), ("m", 60)] where seconds != 0 && seconds % unit == 0 {
            return "\(seconds / unit)\(suffix)"
        }
        return "\(seconds)s"
    }

    /// `bytes` in the largest binary unit that writes it exactly: `4MiB`, `64KiB`, `1000`.
    public static func formatBytes(_ bytes: Int) -> String {
        for (suffix, unit) in [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] where bytes != 0 && bytes % unit == 0 {
            return "\(bytes / unit)\(suffix)"
        }
        return "\(bytes)"
    }

    /// A rate as ``rate(_:maxCount:)`` reads it: `20/s`, `5/m`, `100/10s`.
    public static func formatRate(count: Int, period: Duration) -> String {
        switch period {
        case .seconds(1): "\(count)/s"
        case .seconds(60): "\(count)/m"
        case .seconds(3_600): "\(count)/h"
        default: "\(count)/\(format(period))"
        }
    }

    /// A database as the operator wrote it, with any password replaced by `***`: the
    /// password of a URL's user info (`postgres://u:***@host/db`) and a `password=` query
    /// parameter. For logs and the banner; never log the configuration itself.
    public static func redacted(_ database: DatabaseConfiguration) -> String {
        switch database {
        case .sqlite(let configuration): "sqlite:" + configuration.path
        case .postgres(let configuration): redactedURL(configuration.url)
        }
    }

    /// `url` with the password of its user info and of a `password=` parameter replaced by `***`.
    static func redactedURL(_ url: String) -> String {
        let scalars = Array(url.utf8)
        guard let separator = (0..<max(0, scalars.count - 2)).first(where: { scalars[$0...$0 + 2].elementsEqual("://".utf8) }) else { return url }
        let restStart = url.utf8.index(url.utf8.startIndex, offsetBy: separator + 3)
        var result = String(url[..<restStart])
        let rest = url[restStart...]
        // The user info ends at the last `@` before the query: a password written with an
        // unescaped `/` or `@` is still hidden whole (libpq would refuse such a URL anyway).
        let queryStart = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) ?? rest.endIndex
        var afterUserInfo = rest.startIndex
        if let at = rest[..<queryStart].lastIndex(of: "@") {
            let userInfo = rest[..<at]
            if let colon = userInfo.firstIndex(of: ":") {
                result += userInfo[..<colon] + ":***"
            } else {
                result += userInfo
            }
            result += "@"
            afterUserInfo = rest.index(after: at)
        }
        result += rest[afterUserInfo..<queryStart]
        if queryStart < rest.endIndex {
            let query = rest[queryStart...]
            result += query.split(separator: "&", omittingEmptySubsequences: false).map { parameter in
                // The first parameter keeps its leading `?` or `#`.
                let lead = parameter.first == "?" || parameter.first == "#" ? String(parameter.prefix(1)) : ""
                let body = parameter.dropFirst(lead.count)
                guard body.lowercased().hasPrefix("password=") else { return String(parameter) }
                return lead + "password=***"
            }.joined(separator: "&")
        }
        return result
    }

    /// The value of `text` if it is 1 to 18 decimal digits (so it cannot overflow `Int`), else nil.
    private static func digits(_ text: String) -> Int? {
        guard (1...18).contains(text.utf8.count), text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            return nil
        }
        return Int(text)
    }
}
