import Glibc
import Troupe
import TroupeStore

/// A throwaway PostgreSQL server for the test process, started on first use.
///
/// When `TROUPE_TEST_POSTGRES_URL` is set, tests use that server instead and nothing is
/// started. Otherwise, once per test process:
/// 1. find the server binaries (`/usr/lib/postgresql/<newest>/bin`, `TROUPE_TEST_POSTGRES_BIN`,
///    or `PATH`) — missing binaries fail the PostgreSQL tests with the command that installs
///    them, never skip them;
/// 2. make a directory under /tmp (handed to the `postgres` OS user when running as root,
///    because initdb and postgres refuse root) and start a small shell **watcher** in it,
///    as that user, which runs `initdb` and then `postgres` on a free loopback port with
///    durability off (`fsync=off` and friends: nothing here must survive a crash);
/// 3. poll (bounded) until the server accepts connections.
///
/// The watcher reads a pipe whose only writer is this process. When this process ends —
/// normally (an `atexit` hook closes the pipe and waits), after failed tests, or killed —
/// the pipe reaches end-of-file, and the watcher stops PostgreSQL (fast shutdown), or skips
/// starting it if initdb was still running, and deletes the directory. Nothing outlives the
/// tests, whenever they end.
package final class PostgresTestServer: Sendable {
    /// The server's URL (superuser `troupe`, database `postgres`), or why there is none.
    package static let shared: Result<PostgresTestServer, HarnessError> = Result { () throws(HarnessError) in try PostgresTestServer(stopAtExit: true) }

    /// The base URL for tests: `TROUPE_TEST_POSTGRES_URL`, or the throwaway server's.
    package static func baseURL() throws(HarnessError) -> String {
        if let url = getenv("TROUPE_TEST_POSTGRES_URL").map({ String(cString: $0) }), !url.isEmpty {
            return url
        }
        return try shared.get().url
    }

    /// A server of its own for a test that stops and starts it (an outage), so that other
    /// tests running meanwhile are unaffected. The caller ends it with ``shutDown()``; if
    /// the test process ends first, its watcher stops it anyway.
    package static func dedicated() throws(HarnessError) -> PostgresTestServer {
        try PostgresTestServer(stopAtExit: false)
    }

    /// A running watcher (and, through it, PostgreSQL).
    private struct Running: Sendable {
        let watcher: ChildProcess
        /// The write end of the watcher's pipe; closing it stops the server.
        let control: Int32
    }

    package let url: String
    private let binaries: Binaries
    private let account: Account?
    private let directory: String
    private let port: Int
    /// nil while PostgreSQL is stopped (``stopPostgres()``) or after ``shutDown()``.
    private let running: Locked<Running?>

    private init(stopAtExit: Bool) throws(HarnessError) {
        let binaries = try Self.findBinaries()
        let account = try Self.serverAccount()
        let directory = try Self.makeDirectory(owner: account)
        var attempt = 0
        while true {
            attempt += 1
            let port: Int
            let watcher: ChildProcess
            let control: Int32
            do throws(HarnessError) {
                port = try Self.freeLoopbackPort()
                (watcher, control) = try Self.startWatcher(binaries: binaries, account: account, directory: directory, port: port)
            } catch {
                _ = try? ChildProcess.run(["rm", "-rf", directory])
                throw error
            }
            let url = "postgresql://troupe@127.0.0.1:\(port)/postgres"
            switch Self.waitUntilAccepting(url: url, watcher: watcher, directory: directory) {
            case .accepting:
                self.url = url
                self.binaries = binaries
                self.account = account
                self.directory = directory
                self.port = port
                self.running = Locked(Running(watcher: watcher, control: control))
                if stopAtExit { atexit { PostgresTestServer.stopShared() } }
                return
            case .exited(let failure) where attempt < 3 && failure.description.contains("could not bind"):
                // The free port was taken between probing it and the server binding it:
                // the watcher ended by itself and kept the cluster; try another port.
                close(control)
                continue
            case .exited(let failure), .timedOut(let failure):
                // Closing the pipe stops a server still starting; the watcher then removes
                // the directory. One that ended by itself left it for us to read and remove.
                close(control)
                _ = watcher.waitForExit()
                _ = try? ChildProcess.run(["rm", "-rf", directory])
                throw failure
            }
        }
    }

    /// Stops the shared server if it was started (the `atexit` hook).
    private static func stopShared() {
        guard case .success(let server) = shared else { return }
        server.shutDown()
    }

    /// Closes the watcher's pipe and waits (bounded) until PostgreSQL stopped and the
    /// directory is gone. A server stopped with ``stopPostgres()`` only loses its directory.
    package func shutDown() {
        guard let running = running.withLock({ $0.take() }) else {
            _ = try? ChildProcess.run(["rm", "-rf", directory])
            return
        }
        close(running.control)
        guard Self.waitForExit(of: running.watcher) else {
            writeError("PostgreSQL test server in \(directory) did not stop within 10 s; it will stop when its watcher notices")
            return
        }
    }

    /// Stops PostgreSQL as an outage would (fast shutdown: sessions are cut), keeping its
    /// data and port for ``startPostgres()``. Returns once the server has exited.
    package func stopPostgres() throws(HarnessError) {
        guard let running = running.withLock({ $0.take() }) else { return }
        // The postmaster's pid is the first line of postmaster.pid. Ending postgres itself
        // (not closing the pipe) makes the watcher exit and keep the directory.
        let pidFile = "\(directory)/data/postmaster.pid"
        guard let pid = Self.readTail(pidFile).split(separator: "\n").first.flatMap({ pid_t(String($0)) }), kill(pid, SIGINT) == 0 else {
            close(running.control)
            throw HarnessError("cannot stop PostgreSQL: no live postmaster in \(pidFile)")
        }
        let exited = Self.waitForExit(of: running.watcher)
        close(running.control)
        guard exited else { throw HarnessError("PostgreSQL in \(directory) did not stop within 10 s of SIGINT") }
    }

    /// Starts PostgreSQL again on the same data and port, and waits until it accepts
    /// connections.
    package func startPostgres() throws(HarnessError) {
        let (watcher, control) = try Self.startWatcher(binaries: binaries, account: account, directory: directory, port: port)
        switch Self.waitUntilAccepting(url: url, watcher: watcher, directory: directory) {
        case .accepting:
            running.withLock { $0 = Running(watcher: watcher, control: control) }
        case .exited(let failure), .timedOut(let failure):
            close(control)
            _ = watcher.waitForExit()
            throw failure
        }
    }

    /// Polls (every 10 ms, at most 10 s) until `watcher` has exited.
    private static func waitForExit(of watcher: ChildProcess) -> Bool {
        for _ in 0..<1_000 {
            if watcher.exitCodeIfEnded() != nil { return true }
            usleep(10_000)
        }
        return false
    }

    // MARK: - Steps

    private struct Binaries: Sendable {
        let initdb: String
        let postgres: String
    }

    private static func findBinaries() throws(HarnessError) -> Binaries {
        var candidates: [String] = []
        if let configured = getenv("TROUPE_TEST_POSTGRES_BIN") { candidates.append(String(cString: configured)) }
        // Debian: /usr/lib/postgresql/<major>/bin, not on PATH. Newest major first.
        let versions = directoryEntries(at: "/usr/lib/postgresql").compactMap(Int.init).sorted(by: >)
        candidates += versions.map { "/usr/lib/postgresql/\($0)/bin" }
        candidates += (getenv("PATH").map { String(cString: $0) } ?? "").split(separator: ":").map(String.init)
        for directory in candidates where access("\(directory)/initdb", X_OK) == 0 && access("\(directory)/postgres", X_OK) == 0 {
            return Binaries(initdb: "\(directory)/initdb", postgres: "\(directory)/postgres")
        }
        throw HarnessError(
            """
            PostgreSQL server binaries (initdb, postgres) were not found in TROUPE_TEST_POSTGRES_BIN, \
            /usr/lib/postgresql/*/bin or PATH. The PostgreSQL half of the storage tests needs them: \
            run `make deps` (as root it runs `apt-get install -y --no-install-recommends postgresql`), \
            or set TROUPE_TEST_POSTGRES_URL to a server you run (the tests create and drop their own schemas in it).
            """
        )
    }

    /// An OS account to run the server as.
    private struct Account: Sendable {
        let name: String
        let uid: uid_t
        let gid: gid_t
    }

    /// The OS account to run the server as: none when not root (run as ourselves), else
    /// `postgres` (the Debian package creates it), because initdb and postgres refuse root.
    private static func serverAccount() throws(HarnessError) -> Account? {
        guard geteuid() == 0 else { return nil }
        guard let entry = getpwnam("postgres") else {
            throw HarnessError(
                "running as root, and there is no `postgres` OS user to run the test server as (initdb refuses root): install the postgresql package (`make deps`), create the user (`useradd --system postgres`), or run the tests as a non-root user"
            )
        }
        return Account(name: String(cString: entry.pointee.pw_name), uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
    }

    private static func makeDirectory(owner: Account?) throws(HarnessError) -> String {
        // /tmp rather than TMPDIR when root: the postgres user must be able to reach it.
        let base = owner == nil ? (getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp") : "/tmp"
        var template = Array("\(base)/troupe-pg-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw HarnessError("cannot create a directory under \(base): \(String(cString: strerror(errno)))")
        }
        let directory = String(cString: made)
        if let owner, chown(directory, owner.uid, owner.gid) != 0 {
            throw HarnessError("cannot hand \(directory) to the postgres user: \(String(cString: strerror(errno)))")
        }
        return directory
    }

    /// The command prefix that runs a program as the server's account.
    private static func asAccount(_ account: Account?) -> [String] {
        guard let account else { return [] }
        return ["runuser", "-u", account.name, "--"]
    }

    private static func freeLoopbackPort() throws(HarnessError) -> Int {
        let socketDescriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketDescriptor >= 0 else { throw HarnessError("socket: \(String(cString: strerror(errno)))") }
        defer { close(socketDescriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(socketDescriptor, generic, length) == 0 && getsockname(socketDescriptor, generic, &length) == 0
            }
        }
        guard bound else { throw HarnessError("cannot find a free loopback port: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// The watcher (run as the server's account; arguments: initdb, postgres, directory,
    /// port). The reader subshell turns end-of-file on the pipe into a TERM for the main
    /// shell, whose trap stops postgres if it runs; the main shell checks for a stop request
    /// again after starting postgres, so a stop arriving at any moment is honoured. It
    /// removes the directory only when a stop was requested; when postgres ends by itself the
    /// logs stay for the harness to report.
    private static let watcherScript = """
        exec 3<&0 0</dev/null
        directory=$3
        stopping=
        pg=
        trap 'stopping=1; [ -n "$pg" ] && kill -INT "$pg" 2>/dev/null' TERM
        ( read -r _ <&3; kill -TERM $$ ) &
        reader=$!
        exec 3<&-
        status=0
        if [ ! -f "$directory/data/PG_VERSION" ]; then
          "$1" -D "$directory/data" -U troupe -A trust -E UTF8 --locale=C --no-sync --no-instructions \
            >>"$directory/initdb.log" 2>&1 || status=$?
        fi
        if [ "$status" = 0 ] && [ -z "$stopping" ]; then
          "$2" -D "$directory/data" -p "$4" -k "$directory" -h 127.0.0.1 \
            -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
            -c max_connections=100 -c shared_buffers=32MB -c max_wal_size=1GB \
            -c log_min_messages=warning >>"$directory/postgres.log" 2>&1 &
          pg=$!
          [ -n "$stopping" ] && kill -INT "$pg" 2>/dev/null
          # A trapped signal interrupts wait; wait again until postgres really ended.
          while :; do
            wait "$pg"
            status=$?
            kill -0 "$pg" 2>/dev/null || break
          done
        fi
        kill "$reader" 2>/dev/null
        if [ -n "$stopping" ]; then rm -rf "$directory"; fi
        exit "$status"
        """

    private static func startWatcher(binaries: Binaries, account: Account?, directory: String, port: Int) throws(HarnessError) -> (ChildProcess, Int32) {
        var pipeDescriptors: [Int32] = [0, 0]
        guard pipe(&pipeDescriptors) == 0 else {
            throw HarnessError("pipe: \(String(cString: strerror(errno)))")
        }
        // Close-on-exec: only the watcher (which gets the read end as its standard input
        // through dup2) may hold the pipe, so its end-of-file means "this process is gone".
        // (Glibc's module lacks pipe2; a child spawned by another thread in between could
        // inherit the ends only for its own lifetime, which the harness's short `rm` runs are.)
        _ = fcntl(pipeDescriptors[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(pipeDescriptors[1], F_SETFD, FD_CLOEXEC)
        defer { close(pipeDescriptors[0]) }
        do {
            let watcher = try ChildProcess.spawn(
                asAccount(account) + ["/bin/sh", "-c", watcherScript, "sh", binaries.initdb, binaries.postgres, directory, "\(port)"],
                standardInput: pipeDescriptors[0]
            )
            return (watcher, pipeDescriptors[1])
        } catch {
            close(pipeDescriptors[1])
            throw error
        }
    }

    /// How waiting for the server ended.
    private enum Readiness {
        case accepting
        case exited(HarnessError)
        case timedOut(HarnessError)
    }

    /// Polls (every 20 ms, at most 30 s, initdb included) until the server accepts a
    /// connection or the watcher ends.
    private static func waitUntilAccepting(url: String, watcher: ChildProcess, directory: String) -> Readiness {
        let configuration = PostgresConfiguration(url: url, connectTimeout: .seconds(2))
        var lastError = ""
        for _ in 0..<1_500 {
            do {
                try PostgresConnection(configuration: configuration).close()
                return .accepting
            } catch {
                lastError = error.reason
            }
            if let status = watcher.exitCodeIfEnded() {
                return .exited(HarnessError("the PostgreSQL test server ended (status \(status)) before accepting connections:\n\(logs(directory))"))
            }
            usleep(20_000)
        }
        return .timedOut(HarnessError("the PostgreSQL test server did not accept connections within 30 s (\(lastError)):\n\(logs(directory))"))
    }

    private static func logs(_ directory: String) -> String {
        "initdb: \(readTail("\(directory)/initdb.log"))\npostgres: \(readTail("\(directory)/postgres.log"))"
    }

    /// The last 2 KB of a log file, for failure messages.
    private static func readTail(_ path: String) -> String {
        guard let file = fopen(path, "r") else { return "(no log at \(path))" }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes.suffix(2048), as: UTF8.self)
    }

    private func writeError(_ text: String) {
        let line = Array((text + "\n").utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }
}
