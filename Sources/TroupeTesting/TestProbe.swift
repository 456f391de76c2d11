public import Testing
public import Troupe

/// Collects events from actors under test and lets the test expect them, in order.
///
/// An event is anything `Sendable` a behavior, observer or callback records: messages an
/// actor sent to a probe's ``ref(in:name:)``, lifecycle events, dead letters, or values a
/// test behavior reports with ``record(_:)``.
///
/// ```swift
/// let probe = TestProbe<String>()
/// ... behaviors call probe.record("started a") ...
/// try await probe.expect("started a")
/// try await probe.expect("started b")
/// ```
///
/// Each `expect` returns as soon as the event is there; the timeout is real time and only
/// bounds a failing (hung) test. Events stay queued until expected, so order is exact.
///
/// # Failures
/// In a Swift Testing test, an expectation that fails (a wait that timed out, an event that
/// was not the one expected) is recorded as an issue at the call that made it (each method
/// takes a `sourceLocation`, which defaults to its caller's; a helper that wraps a probe
/// passes its own caller's on), and the call throws the error `#require` throws, which ends
/// the test without a second report. Outside a test it throws ``ProbeTimeout`` or
/// ``ProbeMismatch``. To check that a wait does time out, wrap it in `withKnownIssue`.
///
/// # Thread safety
/// All members may be called from any thread or task; several tasks may wait at once
/// (each event goes to one of them).
// Unchecked Sendable: `queue`, `history`, `waiters` and `nextWaiter` are guarded by `lock`.
public final class TestProbe<Event: Sendable>: @unchecked Sendable {
    private let lock = Lock()
    private var queue: [Event] = []
    private var history: [Event] = []
    /// Tasks waiting for an event, woken all at once by the next one (each then retries).
    private var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    private var nextWaiter: UInt64 = 0
    /// Names the probe in failure messages; also the default name of its ``ref(in:name:)`` actor.
    public let name: String
    /// Real-time bound of each wait when a call passes no `within` (default
    /// ``TestDefaults/timeout``).
    public let timeout: Duration

    /// An empty probe.
    public init(name: String = "probe", timeout: Duration = TestDefaults.timeout) {
        self.name = name
        self.timeout = timeout
    }

    /// Adds an event (from any thread).
    public func record(_ event: Event) {
        let waiting: [CheckedContinuation<Void, Never>] = lock.withLock {
            queue.append(event)
            history.append(event)
            defer { waiters.removeAll() }
            return Array(waiters.values)
        }
        for waiter in waiting { waiter.resume() }
    }

    /// Every event recorded so far, expected or not.
    public var allEvents: [Event] {
        lock.withLock { history }
    }

    /// Events recorded and not yet expected.
    public var pending: [Event] {
        lock.withLock { queue }
    }

    /// Waits for the next event and returns it.
    @discardableResult
    public func next(within limit: Duration? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Event {
        try await next(within: limit, expected: "an event on \(name)", sourceLocation: sourceLocation)
    }

    /// Waits for the next event and returns it if `predicate` holds, else fails.
    @discardableResult
    public func expect(
        _ description: String,
        within limit: Duration? = nil,
        sourceLocation: SourceLocation = #_sourceLocation,
        where predicate: (Event) -> Bool
    ) async throws -> Event {
        let event = try await next(within: limit, expected: description, sourceLocation: sourceLocation)
        guard predicate(event) else {
            try reportFailure(ProbeMismatch(expected: description, received: "\(event)"), at: sourceLocation)
        }
        return event
    }

    /// Discards events until one satisfies `predicate`, and returns it.
    @discardableResult
    public func skip(
        until description: String,
        within limit: Duration? = nil,
        sourceLocation: SourceLocation = #_sourceLocation,
        where predicate: (Event) -> Bool
    ) async throws -> Event {
        while true {
            let event = try await next(within: limit, expected: description, sourceLocation: sourceLocation)
            if predicate(event) { return event }
        }
    }

    /// Fails if an event is pending now (does not wait).
    public func expectNoPendingEvents(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let left = pending
        if !left.isEmpty {
            try reportFailure(ProbeMismatch(expected: "no pending events on \(name)", received: "\(left)"), at: sourceLocation)
        }
    }

    /// An actor in `system` that records every message it receives on this probe, so the
    /// actors under test can send to it like to any actor.
    public func ref(in system: ActorSystem, name: String? = nil, capacity: Int = 10_000) async throws -> ActorRef<Event> {
        let probe = self
        return try await system.spawn(name ?? self.name, mailbox: try .init(capacity: capacity)) {
            ProbeBehavior(probe: probe)
        }
    }

    /// The next event; a timeout names `expected` and is reported at `sourceLocation`.
    private func next(within limit: Duration?, expected: String, sourceLocation: SourceLocation) async throws -> Event {
        while true {
            if let event = popFirst() { return event }
            try await reportingTimeout(at: sourceLocation) {
                try await waitForRecord(limit ?? timeout, expected: expected)
            }
        }
    }

    private func popFirst() -> Event? {
        lock.withLock { queue.isEmpty ? nil : queue.removeFirst() }
    }

    private func waitForRecord(_ limit: Duration, expected: String) async throws {
        let token = lock.withLock {
            defer { nextWaiter &+= 1 }
            return nextWaiter
        }
        try await withRealTimeLimit(limit, what: expected, received: { [self] in "\(allEvents)" }) {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = self.lock.withLock {
                    if !self.queue.isEmpty { return true }
                    self.waiters[token] = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onTimeout: {
            let stale = self.lock.withLock { self.waiters.removeValue(forKey: token) }
            stale?.resume()
        }
    }
}

extension TestProbe where Event: Equatable {
    /// Waits for the next event and checks it equals `expected`.
    public func expect(_ expected: Event, within limit: Duration? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await expect("\(expected)", within: limit, sourceLocation: sourceLocation) { $0 == expected }
    }

    /// Expects each of `events`, in this order, with nothing in between. A failure is
    /// reported at this call and names the event that did not come.
    public func expect(sequence events: [Event], within limit: Duration? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        for event in events { try await expect(event, within: limit, sourceLocation: sourceLocation) }
    }
}

/// An event arrived, but not the one expected.
public struct ProbeMismatch: Error, Sendable, CustomStringConvertible {
    /// What was expected, as text.
    public let expected: String
    /// What arrived instead, as text.
    public let received: String
    public var description: String { "expected \(expected), received \(received)" }
}

private struct ProbeBehavior<Event: Sendable>: Behavior {
    let probe: TestProbe<Event>

    func receive(_ message: Event, context: ActorContext<Event>) async throws {
        probe.record(message)
    }
}
