import Glibc
import Testing
import Troupe

/// Defaults of the test kit.
public enum TestDefaults {
    /// How long a probe or clock waits, in real time, before declaring a test hung. Only a
    /// bound for failures: a passing test never waits for it.
    ///
    /// Five seconds, multiplied by the environment variable `TROUPE_TEST_TIME_SCALE` (a
    /// whole number from 1 to 100) when it is set. `make test-tsan` sets it to 4: under
    /// ThreadSanitizer, with the whole suite running in parallel on two cores, every step a
    /// test waits for is many times slower, and a test of a dozen steps on the cooperative
    /// pool was seen to need most of the five seconds while passing.
    public static let timeout: Duration = .seconds(5) * timeScale

    /// `TROUPE_TEST_TIME_SCALE`, or 1 if it is unset or not a whole number from 1 to 100.
    public static let timeScale: Int = {
        guard let raw = getenv("TROUPE_TEST_TIME_SCALE"), let scale = Int(String(cString: raw)),
              (1...100).contains(scale) else { return 1 }
        return scale
    }()
}

/// A test expectation that was not met within its real-time bound.
public struct ProbeTimeout: Error, Sendable, CustomStringConvertible {
    /// What was expected.
    public let expected: String
    /// What had arrived instead (if anything).
    public let received: String

    public var description: String {
        received.isEmpty ? "timed out waiting for \(expected)" : "timed out waiting for \(expected); received: \(received)"
    }
}

/// Runs `body`; if it has not finished after `limit` of real time, runs `onTimeout` (which
/// must make `body` finish) and throws ``ProbeTimeout``.
func withRealTimeLimit<Value: Sendable>(
    _ limit: Duration,
    what: @autoclosure @escaping @Sendable () -> String,
    received: @escaping @Sendable () -> String = { "" },
    _ body: @escaping @Sendable () async -> Value,
    onTimeout: @escaping @Sendable () -> Void
) async throws -> Value {
    let outcome = Outcome<Value>()
    let timer = RealTime.clock.schedule(after: limit) {
        if outcome.markTimedOut() { onTimeout() }
    }
    let value = await body()
    RealTime.clock.cancel(timer)
    if outcome.finish() { return value }
    throw ProbeTimeout(expected: what(), received: received())
}

/// Who won between a body finishing and its time limit.
// Unchecked Sendable: `state` is guarded by `lock`.
private final class Outcome<Value>: @unchecked Sendable {
    private let lock = Lock()
    private var state = 0  // 0 running, 1 finished, 2 timed out

    func markTimedOut() -> Bool {
        lock.withLock {
            guard state == 0 else { return false }
            state = 2
            return true
        }
    }

    func finish() -> Bool {
        lock.withLock {
            if state == 2 { return false }
            state = 1
            return true
        }
    }
}

/// The real clock behind the test kit's safety bounds: one for the test process.
enum RealTime {
    static let clock = SystemClock()
}

extension SystemClock {
    /// Schedules `action` after `delay` and returns the timer (for `cancel`).
    func schedule(after delay: Duration, _ action: @escaping @Sendable () -> Void) -> ClockTimer {
        let timer = ActionTimer(deadline: now.advanced(by: delay), action: action)
        schedule(timer)
        return timer
    }
}

/// Reports a test-kit expectation that failed where the test made it: the `expect` or wait
/// whose `sourceLocation` is given, not the `@Test` line.
///
/// In a Swift Testing test, records an issue at `sourceLocation` whose comment is
/// `failure`'s description, then throws the error `#require` throws, which the test runner
/// does not report a second time. Outside a test (no `Test.current`), throws `failure`.
func reportFailure(_ failure: ProbeTimeout, at sourceLocation: SourceLocation) throws -> Never {
    guard Test.current != nil else { throw failure }
    // The variable's name is what the issue shows as the failed expression.
    let arrivedInTime = false
    try #require(arrivedInTime, Comment(rawValue: failure.description), sourceLocation: sourceLocation)
    throw failure
}

/// ``reportFailure(_:at:)`` for an event that was not the one expected.
func reportFailure(_ failure: ProbeMismatch, at sourceLocation: SourceLocation) throws -> Never {
    guard Test.current != nil else { throw failure }
    let matched = false
    try #require(matched, Comment(rawValue: failure.description), sourceLocation: sourceLocation)
    throw failure
}

/// Runs a wait of the test kit, reporting a ``ProbeTimeout`` at `sourceLocation`.
func reportingTimeout<Value>(
    at sourceLocation: SourceLocation,
    _ wait: () async throws -> Value
) async throws -> Value {
    do {
        return try await wait()
    } catch let timeout as ProbeTimeout {
        try reportFailure(timeout, at: sourceLocation)
    }
}
