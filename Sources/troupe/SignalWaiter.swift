import CSignals
import Glibc
import Troupe

/// Turns SIGINT and SIGTERM into an awaited event: the first asks for a graceful shutdown,
/// a second one exits at once.
///
/// The signal handlers (CSignals) only write the signal's number to a pipe; one thread the
/// program owns reads it, so nothing runs at an arbitrary point of another thread and
/// nothing blocks Swift's cooperative pool. Exiting at once on the second signal loses
/// nothing acknowledged: every acknowledged write was committed before its reply.
final class SignalWaiter: Sendable {
    private let state = Locked<State>(State())

    private struct State {
        var received: Int32?
        var waiter: CheckedContinuation<Int32, Never>?
    }

    /// Installs the handlers and starts the thread that reads the signals.
    init() throws(SignalError) {
        guard troupe_signals_install() == 0 else { throw SignalError(errno: errno) }
        let thread = RuntimeThread.start(name: "signals") { [self] in self.run() }
        thread.detach()
    }

    /// Waits for the first SIGINT or SIGTERM; returns its number.
    func first() async -> Int32 {
        await withCheckedContinuation { continuation in
            let received: Int32? = state.withLock { state in
                if let received = state.received { return received }
                state.waiter = continuation
                return nil
            }
            if let received { continuation.resume(returning: received) }
        }
    }

    private func run() {
        while true {
            let number = troupe_signals_wait()
            guard number > 0 else { return }
            let (waiter, again): (CheckedContinuation<Int32, Never>?, Bool) = state.withLock { state in
                if state.received != nil { return (nil, true) }
                state.received = number
                defer { state.waiter = nil }
                return (state.waiter, false)
            }
            if again {
                writeToStandardError("level=warning msg=\"second signal: exiting at once\"\n")
                _exit(128 + number)
            }
            waiter?.resume(returning: number)
        }
    }
}

/// Installing the signal handlers failed.
struct SignalError: Error, CustomStringConvertible {
    let errno: Int32
    var description: String { "cannot install the SIGINT/SIGTERM handlers: \(String(cString: strerror(errno)))" }
}
