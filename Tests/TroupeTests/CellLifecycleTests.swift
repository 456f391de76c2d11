import Testing
@testable import Troupe

/// The cell's lifecycle, pair by pair: every reachable kind of lifecycle against every
/// event, with the state and answer expected (the table in ``CellLifecycle``'s comment).
@Suite struct CellLifecycleTests {
    private static let boom = TestFailure("boom")

    /// The events, in the columns' order below.
    enum Event: CaseIterable, CustomStringConvertible {
        case launch, started, stopForGood, stopForRestart, endedFailing, endedNormally
        case restartNoted, terminate, revive, abandon

        var description: String {
            switch self {
            case .launch: "launch"
            case .started: "started"
            case .stopForGood: "stopTaken(forRestart: false)"
            case .stopForRestart: "stopTaken(forRestart: true)"
            case .endedFailing: "incarnationFinished(failure)"
            case .endedNormally: "incarnationFinished(normal)"
            case .restartNoted: "restartNoted"
            case .terminate: "terminate"
            case .revive: "revive"
            case .abandon: "abandon"
            }
        }
    }

    /// What an event answered.
    enum Answer: Equatable {
        case none
        case number(Int)
        case finish(CellLifecycle.Finish)
        case applied(Bool)
        case abandoned(Int?)
    }

    /// The expected outcome of one (lifecycle, event) pair.
    enum Expected: Equatable {
        case next(ActorState, Answer)
        /// The event breaks an invariant (an `assert`); not run.
        case trap
    }

    /// A kind of lifecycle, made by the events that lead to it.
    struct Fixture: CustomStringConvertible, Sendable {
        let description: String
        let make: @Sendable () -> CellLifecycle
    }

    private static func lifecycle(_ steps: @escaping @Sendable (inout CellLifecycle) -> Void) -> @Sendable () -> CellLifecycle {
        {
            var lifecycle = CellLifecycle()
            steps(&lifecycle)
            return lifecycle
        }
    }

    static let fresh = Fixture(description: "never launched", make: lifecycle { _ in })
    static let launched = Fixture(description: "launched, starting", make: lifecycle { _ = $0.launch() })
    static let running = Fixture(description: "running", make: lifecycle {
        _ = $0.launch(); $0.started()
    })
    static let stoppingForRestart = Fixture(description: "took a stop for a restart", make: lifecycle {
        _ = $0.launch(); $0.started(); $0.stopTaken(forRestart: true)
    })
    static let stopping = Fixture(description: "took a stop for good", make: lifecycle {
        _ = $0.launch(); $0.started(); $0.stopTaken(forRestart: false)
    })
    static let endedFailing = Fixture(description: "ended with a failure", make: lifecycle {
        _ = $0.launch(); $0.started(); _ = $0.incarnationFinished(1, reason: .failed(boom))
    })
    static let endedNormally = Fixture(description: "ended normally", make: lifecycle {
        _ = $0.launch(); $0.started(); _ = $0.incarnationFinished(1, reason: .normal)
    })
    static let terminated = Fixture(description: "terminated after its end", make: lifecycle {
        _ = $0.launch(); $0.started(); _ = $0.incarnationFinished(1, reason: .normal); _ = $0.terminate(.stopped)
    })
    static let terminatedRunning = Fixture(description: "terminated while its task runs", make: lifecycle {
        _ = $0.launch(); $0.started(); _ = $0.terminate(.stopped)
    })
    static let abandoned = Fixture(description: "abandoned", make: lifecycle {
        _ = $0.launch(); $0.started(); _ = $0.abandon(); _ = $0.terminate(.cancelled)
    })

    // Shorthands for the table.
    private static let starting = ActorState.starting, runningState = ActorState.running
    private static let restartingState = ActorState.restarting, stoppingState = ActorState.stopping
    private static let terminatedState = ActorState.terminated

    /// One row per kind of lifecycle; one column per ``Event``, in its order.
    static let table: [(Fixture, [Expected])] = [
        (fresh, [
            .next(starting, .number(1)), .next(runningState, .none), .next(stoppingState, .none),
            .next(restartingState, .none), .trap, .trap, .next(restartingState, .none),
            .next(terminatedState, .applied(true)), .next(starting, .applied(false)), .next(starting, .abandoned(nil)),
        ]),
        (launched, [
            .trap, .next(runningState, .none), .next(stoppingState, .none),
            .next(restartingState, .none), .next(restartingState, .finish(.report)), .next(stoppingState, .finish(.report)),
            .next(restartingState, .none), .next(terminatedState, .applied(true)), .next(starting, .applied(false)),
            .next(starting, .abandoned(1)),
        ]),
        (running, [
            .trap, .next(runningState, .none), .next(stoppingState, .none),
            .next(restartingState, .none), .next(restartingState, .finish(.report)), .next(stoppingState, .finish(.report)),
            .next(restartingState, .none), .next(terminatedState, .applied(true)), .next(runningState, .applied(false)),
            .next(runningState, .abandoned(1)),
        ]),
        (stoppingForRestart, [
            .trap, .next(runningState, .none), .next(stoppingState, .none),
            .next(restartingState, .none), .next(restartingState, .finish(.report)), .next(stoppingState, .finish(.report)),
            .next(restartingState, .none), .next(terminatedState, .applied(true)), .next(restartingState, .applied(false)),
            .next(restartingState, .abandoned(1)),
        ]),
        (stopping, [
            // A stop for a restart does not override a stop for good.
            .trap, .next(runningState, .none), .next(stoppingState, .none),
            .next(stoppingState, .none), .next(restartingState, .finish(.report)), .next(stoppingState, .finish(.report)),
            .next(restartingState, .none), .next(terminatedState, .applied(true)), .next(stoppingState, .applied(false)),
            .next(stoppingState, .abandoned(1)),
        ]),
        (endedFailing, [
            .next(restartingState, .number(2)), .next(runningState, .none), .next(stoppingState, .none),
            .next(restartingState, .none), .trap, .trap,
            .next(restartingState, .none), .next(terminatedState, .applied(true)), .next(restartingState, .applied(false)),
            .next(restartingState, .abandoned(nil)),
        ]),
        (endedNormally, [
            .next(restartingState, .number(2)), .next(runningState, .none), .next(stoppingState, .none),
            .next(stoppingState, .none), .trap, .trap,
            .next(restartingState, .none), .next(terminatedState, .applied(true)), .next(stoppingState, .applied(false)),
            .next(stoppingState, .abandoned(nil)),
        ]),
        (terminated, [
            .trap, .next(terminatedState, .none), .next(terminatedState, .none),
            .next(terminatedState, .none), .trap, .trap,
            .next(terminatedState, .none), .next(terminatedState, .applied(false)), .next(restartingState, .applied(true)),
            .next(terminatedState, .abandoned(nil)),
        ]),
        (terminatedRunning, [
            .trap, .next(terminatedState, .none), .next(terminatedState, .none),
            .next(terminatedState, .none), .next(terminatedState, .finish(.report)), .next(terminatedState, .finish(.report)),
            .next(terminatedState, .none), .next(terminatedState, .applied(false)), .next(restartingState, .applied(true)),
            .next(terminatedState, .abandoned(1)),
        ]),
        (abandoned, [
            .trap, .next(terminatedState, .none), .next(terminatedState, .none),
            .next(terminatedState, .none), .next(terminatedState, .finish(.abandonedTaskEnded)),
            .next(terminatedState, .finish(.abandonedTaskEnded)),
            .next(terminatedState, .none), .next(terminatedState, .applied(false)), .next(terminatedState, .applied(false)),
            .next(terminatedState, .abandoned(nil)),
        ]),
    ]

    /// Applies `event` and returns its answer.
    private static func apply(_ event: Event, to lifecycle: inout CellLifecycle) -> Answer {
        switch event {
        case .launch: return .number(lifecycle.launch())
        case .started: lifecycle.started(); return .none
        case .stopForGood: lifecycle.stopTaken(forRestart: false); return .none
        case .stopForRestart: lifecycle.stopTaken(forRestart: true); return .none
        case .endedFailing: return .finish(lifecycle.incarnationFinished(lifecycle.incarnation, reason: .failed(boom)))
        case .endedNormally: return .finish(lifecycle.incarnationFinished(lifecycle.incarnation, reason: .normal))
        case .restartNoted: lifecycle.restartNoted(); return .none
        case .terminate: return .applied(lifecycle.terminate(.stopped))
        case .revive: return .applied(lifecycle.revive())
        case .abandon: return .abandoned(lifecycle.abandon())
        }
    }

    static let pairs: [(row: Int, column: Int)] = table.indices.flatMap { row in Event.allCases.indices.map { (row, $0) } }

    @Test(arguments: pairs.indices)
    func everyStateAndEvent(_ index: Int) {
        let (row, column) = Self.pairs[index]
        let (fixture, expectations) = Self.table[row]
        #expect(expectations.count == Event.allCases.count, "row \(fixture) has a cell per event")
        let event = Event.allCases[column]
        var lifecycle = fixture.make()
        switch expectations[column] {
        case .trap:
            // The cases that assert are exactly those the lifecycle itself says are illegal.
            switch event {
            case .launch: #expect(!lifecycle.canLaunch, "\(fixture): \(event)")
            case .endedFailing, .endedNormally: #expect(!lifecycle.hasRunningTask, "\(fixture): \(event)")
            default: Issue.record("\(fixture): \(event) is not an event that traps")
            }
        case .next(let state, let answer):
            if event == .launch { #expect(lifecycle.canLaunch, "\(fixture): \(event)") }
            if event == .endedFailing || event == .endedNormally { #expect(lifecycle.hasRunningTask, "\(fixture): \(event)") }
            let given = Self.apply(event, to: &lifecycle)
            #expect(lifecycle.state == state, "\(fixture): \(event)")
            #expect(given == answer, "\(fixture): \(event)")
            #expect((lifecycle.terminationReason != nil) == (lifecycle.state == .terminated), "\(fixture): \(event)")
            #expect(lifecycle.isEnding == (state == .stopping || state == .terminated), "\(fixture): \(event)")
        }
    }

    @Test func everyLaunchAfterTheFirstIsARestart() {
        var lifecycle = CellLifecycle()
        let first = lifecycle.launch()
        #expect(first == 1)
        #expect(lifecycle.restartCount == 0)
        lifecycle.started()
        _ = lifecycle.incarnationFinished(1, reason: .failed(Self.boom))
        lifecycle.restartNoted()
        let second = lifecycle.launch()
        #expect(second == 2)
        #expect(lifecycle.restartCount == 1)
        #expect(lifecycle.state == .restarting)
        lifecycle.started()
        #expect(lifecycle.state == .running)
    }

    @Test func aRevivedCellLaunchesAsARestartWithItsReasonCleared() {
        var lifecycle = Self.terminated.make()
        #expect(lifecycle.terminationReason != nil)
        #expect(!lifecycle.canLaunch, "a terminated cell is revived first")
        let revived = lifecycle.revive()
        #expect(revived)
        #expect(lifecycle.terminationReason == nil)
        #expect(lifecycle.canLaunch)
        let number = lifecycle.launch()
        #expect(number == 2)
        #expect(lifecycle.state == .restarting)
    }

    @Test func theEndIsRecordedAndALaunchForgetsIt() {
        var lifecycle = Self.running.make()
        #expect(lifecycle.lastEnd == nil)
        _ = lifecycle.incarnationFinished(1, reason: .normal)
        #expect(lifecycle.lastEnd?.incarnation == 1)
        #expect(lifecycle.lastEnd.map { $0.reason.isFailure } == false)
        #expect(!lifecycle.hasRunningTask)
        _ = lifecycle.launch()
        #expect(lifecycle.lastEnd == nil)
        #expect(lifecycle.hasRunningTask)
    }

    @Test func anAbandonedIncarnationEndsAsCancelledAndItsTaskStillCounts() {
        var lifecycle = Self.running.make()
        let abandonedNumber = lifecycle.abandon()
        #expect(abandonedNumber == 1)
        #expect(lifecycle.isAbandoned)
        #expect(lifecycle.hasRunningTask, "the task runs on, cut off from the actor")
        if case .cancelled? = lifecycle.lastEnd?.reason {} else { Issue.record("ended as \(String(describing: lifecycle.lastEnd))") }
        let terminated = lifecycle.terminate(.cancelled)
        #expect(terminated)
        let finish = lifecycle.incarnationFinished(1, reason: .normal)
        #expect(finish == .abandonedTaskEnded)
        #expect(!lifecycle.hasRunningTask)
        if case .cancelled? = lifecycle.lastEnd?.reason {} else { Issue.record("the real end replaced the reported one") }
        let revived = lifecycle.revive()
        #expect(!revived, "an abandoned cell never runs again")
        #expect(!lifecycle.canLaunch)
    }
}
