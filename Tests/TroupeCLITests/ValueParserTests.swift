import Testing
import Troupe
import TroupeCLI
import TroupeStore

/// Every value kind of the command line, valid and invalid at its edges.
@Suite struct ValueParserTests {
    @Test func integersAreDigitsOnlyWithinTheirBounds() throws {
        #expect(try ValueParser.integer("1", in: 1...64) == 1)
        #expect(try ValueParser.integer("64", in: 1...64) == 64)
        #expect(try ValueParser.integer("007", in: 1...64) == 7)
        for bad in ["0", "65", "", "-1", "+5", " 5", "5 ", "1e3", "0x10", "5.0", "99999999999999999999999"] {
            #expect(throws: ValueError("expected an integer from 1 to 64")) { try ValueParser.integer(bad, in: 1...64) }
        }
    }

    @Test func portsRunFromZeroTo65535() throws {
        #expect(try ValueParser.port("0") == 0)
        #expect(try ValueParser.port("65535") == 65_535)
        #expect(throws: ValueError("expected an integer from 0 to 65535")) { try ValueParser.port("65536") }
        #expect(throws: ValueError("expected an integer from 0 to 65535")) { try ValueParser.port("http") }
    }

    @Test func durationsTakeEveryUnitAndPlainSeconds() throws {
        #expect(try ValueParser.duration("500ms") == .milliseconds(500))
        #expect(try ValueParser.duration("30s") == .seconds(30))
        #expect(try ValueParser.duration("30") == .seconds(30))
        #expect(try ValueParser.duration("10m") == .seconds(600))
        #expect(try ValueParser.duration("2h") == .seconds(7_200))
        #expect(try ValueParser.duration("30d") == .seconds(30 * 86_400))
        #expect(try ValueParser.duration("1ms") == .milliseconds(1))
        #expect(try ValueParser.duration("36500d") == ValueParser.longestDuration)
    }

    @Test func durationsOutsideTheirRangeOrMalformedAreRefused() {
        let reason = "expected a duration from 1ms to 36500d, e.g. 500ms, 30s, 10m, 2h, 30d or plain seconds"
        for bad in ["0", "0ms", "36501d", "", "s", "ms", "-5s", "5 s", "1.5s", "5x", "5sec", "10M", "99999999999999999d"] {
            #expect(throws: ValueError(reason)) { try ValueParser.duration(bad) }
        }
        #expect(throws: ValueError("expected a duration from 1s to 1h, e.g. 500ms, 30s, 10m, 2h, 30d or plain seconds")) {
            try ValueParser.duration("999ms", in: .seconds(1)...(.seconds(3_600)))
        }
    }

    @Test func byteSizesTakeBinaryUnits() throws {
        #expect(try ValueParser.byteSize("65536", in: 1...(1 << 30)) == 65_536)
        #expect(try ValueParser.byteSize("64B", in: 1...(1 << 30)) == 64)
        #expect(try ValueParser.byteSize("64KiB", in: 1...(1 << 30)) == 65_536)
        #expect(try ValueParser.byteSize("4MiB", in: 1...(1 << 30)) == 4 << 20)
        #expect(try ValueParser.byteSize("1GiB", in: 1...(1 << 30)) == 1 << 30)
        let reason = "expected a size from 1KiB to 1GiB, e.g. 65536, 64KiB, 4MiB or 1GiB"
        for bad in ["1023", "2GiB", "1025MiB", "4MB", "4mib", "4 MiB", "MiB", "", "-1", "99999999999999999GiB"] {
            #expect(throws: ValueError(reason)) { try ValueParser.byteSize(bad, in: 1_024...(1 << 30)) }
        }
    }

    @Test func ratesTakeAPerUnitOrAPeriod() throws {
        #expect(try rate("20/s") == Rate(count: 20, period: .seconds(1)))
        #expect(try rate("5/m") == Rate(count: 5, period: .seconds(60)))
        #expect(try rate("7/h") == Rate(count: 7, period: .seconds(3_600)))
        #expect(try rate("100/10s") == Rate(count: 100, period: .seconds(10)))
        #expect(try rate("1/500ms") == Rate(count: 1, period: .milliseconds(500)))
        let reason = "expected a rate N/s, N/m, N/h or N/<duration> with N from 1 to 100000000, e.g. 20/s"
        for bad in ["20", "0/s", "100000001/s", "/s", "20/", "20/x", "20/s/s", "-1/s", "20/0s", "20 /s"] {
            #expect(throws: ValueError(reason)) { try ValueParser.rate(bad) }
        }
    }

    /// A rate as a comparable value.
    struct Rate: Equatable {
        let count: Int
        let period: Duration
    }

    func rate(_ text: String) throws -> Rate {
        let (count, period) = try ValueParser.rate(text)
        return Rate(count: count, period: period)
    }

    @Test func databasesAreSQLitePathsOrPostgresURLs() throws {
        #expect(try ValueParser.database("sqlite:./troupe.db") == .sqlite(SQLiteConfiguration(path: "./troupe.db")))
        #expect(try ValueParser.database("sqlite:/var/lib/troupe/x.db") == .sqlite(SQLiteConfiguration(path: "/var/lib/troupe/x.db")))
        #expect(try ValueParser.database("postgres://u:p@db:5432/troupe") == .postgres(PostgresConfiguration(url: "postgres://u:p@db:5432/troupe")))
        #expect(try ValueParser.database("postgresql://db/troupe") == .postgres(PostgresConfiguration(url: "postgresql://db/troupe")))
        for bad in ["./troupe.db", "sqlite:", "mysql://db/x", "postgres:/db", ""] {
            #expect(throws: ValueError.self) { try ValueParser.database(bad) }
        }
        #expect(throws: ValueError("expected sqlite:PATH or a postgres:// or postgresql:// URL")) { try ValueParser.database("troupe.db") }
        #expect(throws: ValueError("expected sqlite:PATH with a file path")) { try ValueParser.database("sqlite:") }
        #expect(throws: ValueError("a PostgreSQL URL has no spaces or control characters")) { try ValueParser.database("postgres://db/a b") }
    }

    @Test func passwordsAreRedactedFromDatabaseURLs() {
        func redacted(_ url: String) -> String { ValueParser.redacted(.postgres(PostgresConfiguration(url: url))) }
        #expect(redacted("postgres://troupe:s3cret@db:5432/troupe") == "postgres://troupe:***@db:5432/troupe")
        #expect(redacted("postgresql://troupe@db/troupe") == "postgresql://troupe@db/troupe")
        #expect(redacted("postgres://db/troupe") == "postgres://db/troupe")
        // A password with an unescaped `/` or `@` is still hidden whole.
        #expect(redacted("postgres://u:a/b@c@db/troupe") == "postgres://u:***@db/troupe")
        #expect(redacted("postgres://db/troupe?sslmode=require&password=s3cret") == "postgres://db/troupe?sslmode=require&password=***")
        #expect(redacted("postgres://db/troupe?password=s3cret") == "postgres://db/troupe?password=***")
        #expect(!redacted("postgres://u:hunter22@db/t?PASSWORD=hunter22").contains("hunter22"))
        #expect(ValueParser.redacted(.sqlite(SQLiteConfiguration(path: "./troupe.db"))) == "sqlite:./troupe.db")
    }

    @Test func logLevelsHostsAndBooleans() throws {
        #expect(try ValueParser.logLevel("DEBUG") == .debug)
        #expect(try ValueParser.logLevel("warn") == .warning)
        #expect(throws: ValueError("expected debug, info, warning or error")) { try ValueParser.logLevel("verbose") }
        #expect(try ValueParser.host("0.0.0.0") == "0.0.0.0")
        #expect(try ValueParser.host("::1") == "::1")
        #expect(try ValueParser.host("::") == "::")
        #expect(try ValueParser.host("localhost") == "localhost")
        for bad in ["", "a b", "host/x", "chat-1.example.org", "256.0.0.1", "::g", String(repeating: "a", count: 254)] {
            #expect(throws: ValueError.self) { try ValueParser.host(bad) }
        }
        #expect(try ValueParser.boolean("TRUE") && !(try ValueParser.boolean("0")))
        #expect(throws: ValueError("expected true or false")) { try ValueParser.boolean("maybe") }
    }

    @Test func formattingIsTheInverseOfParsing() throws {
        for text in ["500ms", "30s", "10m", "2h", "30d", "90s"] {
            #expect(ValueParser.format(try ValueParser.duration(text)) == text)
        }
        for text in ["1000", "64KiB", "4MiB", "1GiB"] {
            #expect(ValueParser.formatBytes(try ValueParser.byteSize(text, in: 1...(1 << 30))) == text)
        }
        for text in ["20/s", "5/m", "7/h", "100/10s"] {
            let (count, period) = try ValueParser.rate(text)
            #expect(ValueParser.formatRate(count: count, period: period) == text)
        }
    }
}
