import Testing
import TroupeCLI

/// The flag parser: forms, booleans, repeatable flags, environment twins, and its errors.
@Suite struct FlagParserTests {
    let flags = [
        Flag("port", placeholder: "PORT", help: "Port.", defaultText: "7070"),
        Flag("fault-injection", placeholder: nil, help: "Faults.", defaultText: "false"),
        Flag("admin", placeholder: "NAME", help: "Admin.", defaultText: nil, environment: "TROUPE_ADMINS", repeatable: true),
    ]

    @Test func valuesMayFollowTheFlagOrAnEqualsSign() throws {
        let spaced = try FlagParser.parse(["--port", "8080"], flags: flags, command: "troupe serve")
        let joined = try FlagParser.parse(["--port=8080"], flags: flags, command: "troupe serve")
        #expect(spaced.values == ["port": ["8080"]])
        #expect(joined.values == ["port": ["8080"]])
        // A value that looks like a flag is still the value: it follows its flag.
        #expect(try FlagParser.parse(["--port", "--admin"], flags: flags, command: "troupe serve").values == ["port": ["--admin"]])
        #expect(try FlagParser.parse(["--port="], flags: flags, command: "troupe serve").values == ["port": [""]])
    }

    @Test func booleansTakeNoValueUnlessJoined() throws {
        #expect(try FlagParser.parse(["--fault-injection"], flags: flags, command: "x").values == ["fault-injection": ["true"]])
        #expect(try FlagParser.parse(["--fault-injection=false"], flags: flags, command: "x").values == ["fault-injection": ["false"]])
        // A bare boolean never swallows the next argument.
        #expect(throws: CLIError.unexpectedArgument("false", command: "x")) {
            try FlagParser.parse(["--fault-injection", "false"], flags: flags, command: "x")
        }
    }

    @Test func repeatableFlagsKeepEveryValueInOrder() throws {
        let parsed = try FlagParser.parse(["--admin", "root", "--port", "1", "--admin=ops"], flags: flags, command: "x")
        #expect(parsed.values["admin"] == ["root", "ops"])
        #expect(throws: CLIError.repeatedFlag("port")) { try FlagParser.parse(["--port", "1", "--port=2"], flags: flags, command: "x") }
    }

    @Test func theFlagWinsOverItsEnvironmentVariable() throws {
        let environment = ["TROUPE_PORT": "9000", "TROUPE_ADMINS": "root,ops", "TROUPE_FAULT_INJECTION": ""]
        let none = try FlagParser.parse([], flags: flags, command: "x")
        #expect(none.resolve(flags[0], environment: environment) == (["9000"], "TROUPE_PORT"))
        #expect(none.resolve(flags[2], environment: environment) == (["root", "ops"], "TROUPE_ADMINS"))
        // An empty variable counts as absent.
        #expect(none.resolve(flags[1], environment: environment) == ([], nil))
        let given = try FlagParser.parse(["--port", "8080", "--admin", "a"], flags: flags, command: "x")
        #expect(given.resolve(flags[0], environment: environment) == (["8080"], nil))
        #expect(given.resolve(flags[2], environment: environment) == (["a"], nil))
    }

    @Test func faultsAreOneLineErrorsNamingTheArgument() {
        #expect(throws: CLIError.unknownFlag("--prot", command: "troupe serve")) {
            try FlagParser.parse(["--prot", "1"], flags: flags, command: "troupe serve")
        }
        #expect(CLIError.unknownFlag("--prot", command: "troupe serve").description == "unknown flag \"--prot\" for troupe serve (see troupe serve --help)")
        #expect(throws: CLIError.unknownFlag("-p", command: "x")) { try FlagParser.parse(["-p"], flags: flags, command: "x") }
        #expect(throws: CLIError.missingValue(flag: "port")) { try FlagParser.parse(["--port"], flags: flags, command: "x") }
        #expect(CLIError.missingValue(flag: "port").description == "flag --port needs a value")
        #expect(CLIError.repeatedFlag("port").description == "flag --port given more than once")
        #expect(throws: CLIError.unexpectedArgument("extra", command: "x")) { try FlagParser.parse(["extra"], flags: flags, command: "x") }
        // Whatever was typed, the message stays on one line.
        #expect(!CLIError.unknownFlag("--a\nb", command: "x").description.contains("\n"))
    }

    @Test func helpIsRequestedAnywhere() throws {
        #expect(try FlagParser.parse(["--port", "1", "--help"], flags: flags, command: "x").helpRequested)
        #expect(try FlagParser.parse(["-h"], flags: flags, command: "x").helpRequested)
        #expect(!(try FlagParser.parse([], flags: flags, command: "x").helpRequested))
    }
}
