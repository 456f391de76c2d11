package import Testing

/// ``pollUntil(_:timeout:sourceLocation:_:)`` ran out of time.
package struct PollTimeout: Error, CustomStringConvertible {
    package let description: String
}

/// Re-checks `condition` every millisecond until it holds; records an issue and throws
/// after `timeout` of real time. For effects that happen asynchronously on other threads
/// (pushes, timers' work, a server's counters), which no event signals to the test.
package func pollUntil(
    _ description: String,
    timeout: Duration = .seconds(20),
    sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("timed out waiting until \(description)", sourceLocation: sourceLocation)
            throw PollTimeout(description: description)
        }
        try await Task.sleep(for: .milliseconds(1))
    }
}
