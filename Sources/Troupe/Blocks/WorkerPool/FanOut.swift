/// Runs several independent operations at once under one deadline and gathers their
/// results in order: fan-out, fan-in.
///
/// ```swift
/// // Three counts in parallel, all within 200 ms, or none.
/// let queries: [@Sendable () async throws -> Int] = [
///     { try await database.count(.easy) },
///     { try await database.count(.medium) },
///     { try await database.count(.hard) },
/// ]
/// let counts = try await FanOut.all(queries, deadline: .milliseconds(200), clock: context.clock)
/// ```
///
/// (Give the array its type: closures that capture something, written straight into the
/// call, are not inferred `@Sendable` and do not compile.)
///
/// It does what the hand-written version in the problem reports (goroutines writing into a
/// buffered channel) leaves out: one deadline for the whole set, the remaining operations
/// cancelled as soon as the answer is known (first error, or deadline), and nothing left
/// running afterwards.
///
/// # Two ways to gather
/// - ``all(_:deadline:clock:)`` fails fast: the first error or the deadline cancels the
///   rest and throws ``FanOutError``.
/// - ``settled(_:deadline:clock:)`` collects partial results: each operation's outcome, with
///   those unfinished at the deadline cancelled and reported as
///   ``FanOutOutcome/timedOut``.
///
/// # Concurrency contract
/// The operations are child tasks of the caller's task (structured: cancelling the caller
/// cancels them), all started at once; bound their number, or run each through a
/// ``WorkerPool``, when there are many. Both functions return only when every operation
/// has ended: one that ignores cancellation delays the return (it cannot be abandoned
/// without leaking it). The deadline is measured on `clock`.
public enum FanOut {
    /// The results of all `operations`, in order, if all succeed before the deadline.
    ///
    /// - Throws: ``FanOutError``: the first failure, the deadline, or cancellation; in each
    ///   case the unfinished operations have been cancelled and have ended.
    public static func all<Value: Sendable>(
        _ operations: [@Sendable () async throws -> Value],
        deadline: Duration,
        clock: any ActorClock
    ) async throws(FanOutError) -> [Value] {
        var values: [Value?] = Array(repeating: nil, count: operations.count)
        var failure: FanOutError?
        await gather(operations, deadline: deadline, clock: clock) { event in
            switch event {
            case .finished(let index, .success(let value)):
                values[index] = value
                return true
            case .finished(let index, .failure(let error)):
                failure = .failed(index: index, error)
            case .deadline:
                failure = .deadlineExceeded(completed: values.count { $0 != nil }, total: operations.count)
            }
            return false
        }
        let complete = !values.contains { $0 == nil }
        // A cancelled caller's operations fail with cancellation errors: report the cause.
        if Task.isCancelled, !complete { throw .cancelled }
        if let failure { throw failure }
        // Every operation succeeded: `gather` stops early only on a failure or the deadline.
        return values.map { $0! }
    }

    /// Each operation's outcome, in order: its value or error if it finished before the
    /// deadline, ``FanOutOutcome/timedOut`` (and cancelled) if not. Failures do not stop
    /// the others.
    public static func settled<Value: Sendable>(
        _ operations: [@Sendable () async throws -> Value],
        deadline: Duration,
        clock: any ActorClock
    ) async -> [FanOutOutcome<Value>] {
        var outcomes: [FanOutOutcome<Value>] = Array(repeating: .timedOut, count: operations.count)
        await gather(operations, deadline: deadline, clock: clock) { event in
            switch event {
            case .finished(let index, .success(let value)):
                outcomes[index] = .success(value)
                return true
            case .finished(let index, .failure(let error)):
                outcomes[index] = .failure(error)
                return true
            case .deadline:
                return false
            }
        }
        return outcomes
    }

    private enum Event<Value: Sendable>: Sendable {
        case finished(Int, Result<Value, any Error>)
        case deadline
    }

    /// Runs every operation and a deadline timer as child tasks and passes each event to
    /// `handle` until all operations finished or `handle` returns false; then cancels what
    /// is left and waits for it.
    private static func gather<Value: Sendable>(
        _ operations: [@Sendable () async throws -> Value],
        deadline: Duration,
        clock: any ActorClock,
        handle: (Event<Value>) -> Bool
    ) async {
        guard !operations.isEmpty else { return }
        let due = clock.now.advanced(by: deadline)
        await withTaskGroup(of: Event<Value>?.self) { group in
            for (index, operation) in operations.enumerated() {
                group.addTask {
                    do {
                        return .finished(index, .success(try await operation()))
                    } catch {
                        return .finished(index, .failure(error))
                    }
                }
            }
            group.addTask {
                // Cancelled (nil) once every operation has finished.
                (try? await clock.sleep(until: due)).map { .deadline }
            }
            var remaining = operations.count
            while remaining > 0, let next = await group.next() {
                guard let event = next else { continue }
                if case .finished = event { remaining -= 1 }
                if !handle(event) { break }
            }
            group.cancelAll()
        }
    }
}
