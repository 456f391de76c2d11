package import Glibc

/// A process the test harness starts with `posix_spawn`.
///
/// Not Foundation's `Process`: the harness must decide exactly what a child inherits, and
/// `posix_spawn` with explicit actions says so in a few lines:
/// - descriptors: only standard input, output and error. The test process holds sockets
///   and pipes of its own that are not close-on-exec; a server started with them would keep
///   them open for its whole life (and the PostgreSQL watcher's pipe must reach only the
///   watcher).
/// - signals: an empty mask and default dispositions. A child inherits the spawning
///   thread's mask, and the test runner's threads block SIGCHLD, with which a shell's `wait`
///   never returns.
package struct ChildProcess: Sendable {
    package let pid: pid_t

    /// Starts `arguments[0]` (looked up in `PATH`) with standard input from `standardInput`
    /// (or `/dev/null`) and standard output and error appended to `outputPath` (or
    /// `/dev/null`).
    package static func spawn(_ arguments: [String], standardInput: Int32? = nil, outputPath: String? = nil) throws(HarnessError) -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let standardInput {
            posix_spawn_file_actions_adddup2(&actions, standardInput, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 1, outputPath ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Glibc's module lacks addclosefrom_np: close each descriptor open now. (One opened
        // by another thread meanwhile may leak into the child; the runner opens few.)
        for descriptor in openDescriptors() where descriptor > 2 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var signals = sigset_t()
        sigemptyset(&signals)
        posix_spawnattr_setsigmask(&attributes, &signals)
        for signal in [SIGPIPE, SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT] {
            sigaddset(&signals, signal)
        }
        posix_spawnattr_setsigdefault(&attributes, &signals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, environ)
        guard status == 0 else {
            throw HarnessError("cannot start \(arguments[0]): \(String(cString: strerror(status)))")
        }
        return ChildProcess(pid: pid)
    }

    /// Runs `arguments` to completion and returns its exit code.
    package static func run(_ arguments: [String], outputPath: String? = nil) throws(HarnessError) -> Int32 {
        try spawn(arguments, outputPath: outputPath).waitForExit()
    }

    /// Blocks until the process ends; returns its exit code (128 + signal when killed).
    package func waitForExit() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return Self.exitCode(status)
    }

    /// The exit code if the process has ended, nil while it runs. Reaps it.
    package func exitCodeIfEnded() -> Int32? {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        guard result == pid else { return result == -1 ? -1 : nil }
        return Self.exitCode(status)
    }

    /// The descriptors open in this process.
    private static func openDescriptors() -> [Int32] {
        directoryEntries(at: "/proc/self/fd").compactMap { Int32($0) }
    }

    // WIFEXITED and friends are macros Swift does not import.
    private static func exitCode(_ status: Int32) -> Int32 {
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }
}
