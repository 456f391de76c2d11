import Foundation
import Testing
import Troupe
import TroupeBackend
import TroupeCLI
import TroupeStore

/// `troupe serve`'s options end to end: arguments and environment to a configuration.
@Suite struct ServeOptionsTests {
    func serve(_ arguments: [String], _ environment: [String: String] = [:]) throws(CLIError) -> ServeOptions {
        guard case .serve(let options) = try TroupeCommandLine.parse(["serve"] + arguments, environment: environment) else {
            throw .invalidConfiguration("expected serve, got help")
        }
        return options
    }

    /// A file in a fresh temporary directory holding `text`; removed by the caller.
    func temporaryFile(_ text: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("troupe-cli-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("tree.txt").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func theDefaultsArePROTOCOLs() throws {
        let options = try serve([])
        #expect(options.server == ServerSettings())
        #expect(options.server.address == "127.0.0.1:7070")
        #expect(options.backend.database == .sqlite(SQLiteConfiguration(path: "./troupe.db")))
        #expect(options.backend.userRate == (try TokenBucketConfiguration.perSecond(20, burst: 40)))
        #expect(options.backend.tree == .standard)
        #expect(options.backend.admins.isEmpty && options.backend.adminPassword == nil && !options.backend.faultInjection)
    }

    @Test func everyKindOfFlagReachesTheConfiguration() throws {
        let options = try serve([
            "--host", "0.0.0.0", "--port=7171", "--loop-threads", "2", "--anonymous-idle-timeout", "90s",
            "--outbound-soft-limit", "1MiB", "--outbound-hard-limit=2MiB", "--max-bulk-bytes", "64KiB",
            "--db", "postgres://troupe:pw@db/troupe", "--admin", "Root", "--admin", "ops", "--fault-injection",
            "--log-level", "debug", "--user-rate", "100/s", "--user-burst", "200", "--global-rate", "1000/10s",
            "--failed-login-rate", "10/m", "--failed-login-burst", "10", "--token-lifetime", "7d", "--voting-duration", "45s",
            "--password-cost", "11", "--request-timeout", "2s", "--shutdown-deadline", "1m",
        ])
        #expect(options.server.host == "0.0.0.0" && options.server.port == 7_171 && options.server.loopThreads == 2)
        #expect(options.server.anonymousIdleTimeout == .seconds(90))
        #expect(options.server.outboundSoftLimit == 1 << 20 && options.server.outboundHardLimit == 2 << 20)
        #expect(options.server.maxBulkBytes == 64 << 10)
        #expect(options.server.shutdownDeadline == .seconds(60))
        #expect(options.backend.database == .postgres(PostgresConfiguration(url: "postgres://troupe:pw@db/troupe")))
        #expect(options.backend.admins.map(\.value) == ["root", "ops"])
        #expect(options.backend.faultInjection && options.backend.logLevel == .debug)
        #expect(options.backend.userRate == (try TokenBucketConfiguration.perSecond(100, burst: 200)))
        #expect(options.backend.globalRate == (try TokenBucketConfiguration(capacity: 50_000, refill: 1_000, per: .seconds(10))))
        #expect(options.backend.failedLogins == (try TokenBucketConfiguration(capacity: 10, refill: 10, per: .seconds(60))))
        #expect(options.backend.tokenLifetime == .seconds(7 * 86_400) && options.backend.votingDuration == .seconds(45))
        #expect(options.backend.passwordCost == 11 && options.backend.requestTimeout == .seconds(2))
    }

    @Test func aFlagWinsOverItsVariableAndAVariableOverTheDefault() throws {
        let environment = ["TROUPE_PORT": "9000", "TROUPE_HOST": "0.0.0.0", "TROUPE_ADMINS": "root,ops", "TROUPE_FAULT_INJECTION": "yes"]
        let fromEnvironment = try serve([], environment)
        #expect(fromEnvironment.server.port == 9_000 && fromEnvironment.server.host == "0.0.0.0")
        #expect(fromEnvironment.backend.admins.map(\.value) == ["root", "ops"] && fromEnvironment.backend.faultInjection)
        let flagged = try serve(["--port", "8080", "--admin", "alice", "--fault-injection=false"], environment)
        #expect(flagged.server.port == 8_080 && flagged.server.host == "0.0.0.0")
        #expect(flagged.backend.admins.map(\.value) == ["alice"] && !flagged.backend.faultInjection)
    }

    @Test func theAdminPasswordComesOnlyFromTheEnvironment() throws {
        #expect(try serve([], ["TROUPE_ADMIN_PASSWORD": "correct horse"]).backend.adminPassword == "correct horse")
        #expect(throws: CLIError.unknownFlag("--admin-password", command: "troupe serve")) { try serve(["--admin-password", "x"]) }
        #expect(throws: CLIError.badEnvironment(variable: "TROUPE_ADMIN_PASSWORD", reason: "must be 8 to 128 bytes")) {
            try serve([], ["TROUPE_ADMIN_PASSWORD": "short"])
        }
        // The refusal never repeats the password.
        #expect(CLIError.badEnvironment(variable: "TROUPE_ADMIN_PASSWORD", reason: "must be 8 to 128 bytes").description == "bad TROUPE_ADMIN_PASSWORD: must be 8 to 128 bytes")
    }

    @Test func badValuesNameTheirFlagOrVariableExactly() {
        func message(_ arguments: [String], _ environment: [String: String] = [:]) -> String {
            do {
                _ = try serve(arguments, environment)
                return "accepted"
            } catch {
                return error.description
            }
        }
        #expect(message(["--port", "70000"]) == "bad value \"70000\" for --port: expected an integer from 0 to 65535")
        #expect(message([], ["TROUPE_PORT": "x"]) == "bad value \"x\" for TROUPE_PORT (--port): expected an integer from 0 to 65535")
        #expect(message(["--user-rate", "fast"]) == "bad value \"fast\" for --user-rate: expected a rate N/s, N/m, N/h or N/<duration> with N from 1 to 100000000, e.g. 20/s")
        #expect(message(["--db", "mysql://x"]) == "bad value \"mysql://x\" for --db: expected sqlite:PATH or a postgres:// or postgresql:// URL")
        #expect(message(["--admin", "no spaces"]) == "bad value \"no spaces\" for --admin: expected a user name of 1 to 32 letters, digits or _")
        #expect(message(["--fault-injection=maybe"]) == "bad value \"maybe\" for --fault-injection: expected true or false")
        #expect(message(["--password-cost", "12"]) == "bad value \"12\" for --password-cost: expected an integer from 1 to 11")
        #expect(message(["--prot", "1"]) == "unknown flag \"--prot\" for troupe serve (see troupe serve --help)")
        #expect(message(["--port"]) == "flag --port needs a value")
        #expect(message(["--outbound-soft-limit", "8MiB", "--outbound-hard-limit", "4MiB"]) == "invalid configuration: --outbound-soft-limit (8MiB) is above --outbound-hard-limit (4MiB)")
        #expect(CLIError.missingValue(flag: "port").exitCode == 2)
    }

    @Test func helpListsEveryFlagWithItsDefaultAndVariable() throws {
        guard case .help(let text) = try TroupeCommandLine.parse(["serve", "--help"], environment: [:]) else {
            Issue.record("expected help")
            return
        }
        #expect(text == ServeOptions.help)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(ServeOptions.flags.count >= 40)
        for flag in ServeOptions.flags {
            let line = try #require(lines.first { $0.hasPrefix("  --\(flag.name) ") }, "no help line for --\(flag.name)")
            if let defaultText = flag.defaultText { #expect(line.contains("default: \(defaultText)")) }
            #expect(line.contains("env: \(try #require(flag.environment))"))
        }
        #expect(text.contains("--port PORT") && text.contains("default: 7070; env: TROUPE_PORT"))
        #expect(text.contains("default: sqlite:./troupe.db; env: TROUPE_DB"))
        #expect(text.contains("default: 20/s; env: TROUPE_USER_RATE"))
        #expect(text.contains("default: 4MiB; env: TROUPE_OUTBOUND_SOFT_LIMIT"))
        #expect(text.contains("default: 10s; env: TROUPE_SHUTDOWN_DEADLINE"))
        #expect(text.contains("--admin NAME (repeatable)") && text.contains("env: TROUPE_ADMINS"))
        #expect(text.contains("TROUPE_ADMIN_PASSWORD"))
    }

    @Test func theTopLevelHelpListsSubcommands() throws {
        for arguments in [[], ["--help"], ["-h"], ["help"]] {
            guard case .help(let text) = try TroupeCommandLine.parse(arguments, environment: [:]) else {
                Issue.record("expected help for \(arguments)")
                continue
            }
            #expect(text.contains("SUBCOMMANDS:") && text.contains("  serve    Start the chat server"))
        }
        #expect(throws: CLIError.unknownCommand("bench")) { try TroupeCommandLine.parse(["bench"], environment: [:]) }
        #expect(CLIError.unknownCommand("bench").description == "unknown command \"bench\" (see troupe --help)")
        #expect(throws: CLIError.unknownFlag("--verbose", command: "troupe")) { try TroupeCommandLine.parse(["--verbose"], environment: [:]) }
    }

    @Test func aTreeFileIsReadAndParsed() throws {
        let path = try temporaryFile("camp \"The Camp\" costs=10,20\nforge \"The Forge\" costs=5 requires=camp\n")
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let options = try serve(["--tree", path])
        #expect(options.backend.tree.nodes.map(\.name.value) == ["camp", "forge"])
        #expect(options.treePath == path)
        #expect(options.banner.contains("tree=\(path) tree_nodes=2"))
    }

    @Test func aMalformedTreeFileNamesItsLineAndField() throws {
        let path = try temporaryFile("# a comment\ncamp \"The Camp\" costs=10\nforge \"The Forge\" costs=abc\n")
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        do {
            _ = try serve(["--tree", path])
            Issue.record("accepted a malformed tree")
        } catch {
            guard case .treeInvalid(_, let treeError) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(treeError.line == 3 && treeError.field == .costs)
            #expect(error.description.hasPrefix("tree file \"\(path)\": line 3, field costs: "))
            #expect(error.exitCode == 2)
        }
    }

    @Test func aTreeFileOverTheCapOrMissingIsRefused() throws {
        let line = "camp \"The Camp\" costs=10\n"
        let atCap = line + "#" + String(repeating: "x", count: TreeFile.maxBytes - line.utf8.count - 2) + "\n"
        let atCapPath = try temporaryFile(atCap)
        let overPath = try temporaryFile(atCap + "\n")
        defer {
            for path in [atCapPath, overPath] { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        }
        #expect(atCap.utf8.count == TreeFile.maxBytes)
        #expect(try serve(["--tree", atCapPath]).backend.tree.nodes.count == 1)
        #expect(throws: CLIError.treeTooLarge(path: overPath, maxBytes: TreeFile.maxBytes)) { try serve(["--tree", overPath]) }
        #expect(throws: CLIError.treeUnreadable(path: "/nonexistent/tree.txt", reason: "No such file or directory")) {
            try serve(["--tree", "/nonexistent/tree.txt"])
        }
    }

    @Test func theBannerNamesAddressDatabaseAndTreeWithoutThePassword() throws {
        let options = try serve(["--port", "7171", "--db", "postgresql://troupe:hunter22@db:5432/troupe", "--admin", "root"])
        let banner = options.banner
        #expect(!banner.contains("hunter22"))
        #expect(banner == "level=info msg=\"troupe serve starting\" address=127.0.0.1:7171 db=postgresql://troupe:***@db:5432/troupe tree=standard tree_nodes=\(ProgressionTree.standard.nodes.count) admins=root fault_injection=false loop_threads=1 threads=\(options.backend.threads) log_level=info")
        #expect(try serve(["--host", "::1"]).banner.contains(" address=[::1]:7070 db=sqlite:./troupe.db "))
    }
}
