// troupe: the server. `troupe serve --help` lists every flag (Documentation/Operations.md).
//
// Exit codes: 0 after a clean shutdown (SIGINT/SIGTERM), 1 when the server cannot start or
// fails while running, 2 for a bad flag or value.
import Glibc
import Troupe
import TroupeBackend
import TroupeCLI
import TroupeServer

signal(SIGPIPE, SIG_IGN)
// Before any thread starts: see AllocatorPolicy (keeps freed memory instead of an madvise per request).
AllocatorPolicy.apply(environment: TroupeCommandLine.processEnvironment())

let invocation: TroupeCommandLine.Invocation
do {
    invocation = try TroupeCommandLine.parse(Array(CommandLine.arguments.dropFirst()), environment: TroupeCommandLine.processEnvironment())
} catch {
    writeToStandardError("troupe: \(error)\n")
    exit(error.exitCode)
}

switch invocation {
case .help(let text):
    print(text)
    exit(0)
case .serve(let options):
    exit(await serve(options))
}

func serve(_ options: ServeOptions) async -> Int32 {
    let minimum = options.backend.logLevel
    func log(_ level: LogLevel, _ message: String, _ fields: [(String, String)] = []) {
        guard level >= minimum else { return }
        writeToStandardError(LogLine.format(level: level, message: message, fields: fields) + "\n")
    }
    if minimum <= .info { writeToStandardError(options.banner + "\n") }
    let signals: SignalWaiter
    do {
        signals = try SignalWaiter()
    } catch {
        log(.error, "\(error)")
        return 1
    }
    let backend: Backend
    do {
        backend = try await Backend.start(options.backend)
    } catch {
        log(.error, "cannot start the backend", [("error", "\(error)")])
        return 1
    }
    let server: Server
    do {
        server = try await Server.start(options.server.serverConfiguration, backend: backend)
    } catch {
        log(.error, "cannot start the server", [("error", "\(error)")])
        await backend.shutdown(deadline: options.server.shutdownDeadline)
        return 1
    }
    let host = options.server.host.contains(":") ? "[\(options.server.host)]" : options.server.host
    log(.info, "listening", [("address", "\(host):\(server.port)")])
    let number = await signals.first()
    log(.info, "shutting down", [("signal", number == SIGTERM ? "SIGTERM" : "SIGINT")])
    // One deadline for the whole stop: the backend gets what the front's drain left of it.
    let stopStarted = ContinuousClock.now
    await server.shutdown(deadline: options.server.shutdownDeadline)
    let left = options.server.shutdownDeadline - (ContinuousClock.now - stopStarted)
    let report = await backend.shutdown(deadline: max(left, .milliseconds(100)))
    log(.info, "stopped", [("completed", "\(report.completed)")])
    return 0
}
