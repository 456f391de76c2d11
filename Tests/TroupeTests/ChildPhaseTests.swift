import Testing
@testable import Troupe

/// A supervised child's phase, pair by pair: every phase against every event (with an
/// incarnation or token that matches and one that does not), with the phase and answer
/// expected (the table in ``ChildPhase``'s comment).
@Suite struct ChildPhaseTests {
    /// The events, in the columns' order below. The phases below run incarnation 1 and wait
    /// for restart token 7; 9 matches nothing.
    enum Event: CaseIterable, CustomStringConvertible {
        case launched2, startFailed1, startFailed9, exited1, exited9, requestStop
        case abandoned1, abandoned9, stop, restartScheduled8, restartDue7, restartDue9, remove

        var description: String {
            switch self {
            case .launched2: "launched(2)"
            case .startFailed1: "startFailed(1)"
            case .startFailed9: "startFailed(9)"
            case .exited1: "exited(1)"
            case .exited9: "exited(9)"
            case .requestStop: "requestStop"
            case .abandoned1: "abandoned(1)"
            case .abandoned9: "abandoned(9)"
            case .stop: "stop"
            case .restartScheduled8: "restartScheduled(8)"
            case .restartDue7: "restartDue(7)"
            case .restartDue9: "restartDue(9)"
            case .remove: "remove"
            }
        }
    }

    /// What an event answered.
    enum Answer: Equatable {
        case none
        case exit(ChildPhase.Exit)
        case stopNumber(Int?)
        case stop(ChildPhase.Stop)
        case flag(Bool)
    }

    enum Expected: Equatable {
        case next(ChildPhase, Answer)
        /// The event breaks an invariant (an `assert`); not run.
        case trap
    }

    static let phases: [ChildPhase] = [
        .down, .running(incarnation: 1), .stopRequested(incarnation: 1), .awaitingRestart(token: 7), .removed,
    ]

    // Shorthands for the table.
    private static let down = ChildPhase.down, running1 = ChildPhase.running(incarnation: 1)
    private static let requested1 = ChildPhase.stopRequested(incarnation: 1)
    private static let awaiting7 = ChildPhase.awaitingRestart(token: 7), removed = ChildPhase.removed

    /// One row per phase of ``phases``; one column per ``Event``, in its order.
    static let table: [[Expected]] = [
        // down
        [
            .next(.running(incarnation: 2), .none), .next(down, .none), .next(down, .none),
            .next(down, .exit(.stale)), .next(down, .exit(.stale)), .next(down, .stopNumber(nil)),
            .next(down, .none), .next(down, .none), .next(down, .stop(.nothingRuns)),
            .next(.awaitingRestart(token: 8), .none), .next(down, .flag(false)), .next(down, .flag(false)),
            .next(removed, .flag(true)),
        ],
        // running(1)
        [
            .trap, .next(down, .none), .next(running1, .none),
            .next(down, .exit(.unrequested)), .next(running1, .exit(.stale)), .next(requested1, .stopNumber(1)),
            .next(running1, .none), .next(running1, .none), .next(down, .stop(.stopAndWait)),
            .trap, .next(running1, .flag(false)), .next(running1, .flag(false)),
            .trap,
        ],
        // stopRequested(1)
        [
            .trap, .next(requested1, .none), .next(requested1, .none),
            .next(down, .exit(.requestedStopEnded)), .next(requested1, .exit(.stale)), .next(requested1, .stopNumber(nil)),
            .next(down, .none), .next(requested1, .none), .next(down, .stop(.waitForRequestedStop)),
            .trap, .next(requested1, .flag(false)), .next(requested1, .flag(false)),
            .trap,
        ],
        // awaitingRestart(7)
        [
            .trap, .next(awaiting7, .none), .next(awaiting7, .none),
            .next(awaiting7, .exit(.stale)), .next(awaiting7, .exit(.stale)), .next(awaiting7, .stopNumber(nil)),
            .next(awaiting7, .none), .next(awaiting7, .none), .next(down, .stop(.nothingRuns)),
            .trap, .next(down, .flag(true)), .next(awaiting7, .flag(false)),
            .trap,
        ],
        // removed
        [
            .trap, .next(removed, .none), .next(removed, .none),
            .next(removed, .exit(.stale)), .next(removed, .exit(.stale)), .next(removed, .stopNumber(nil)),
            .next(removed, .none), .next(removed, .none), .trap,
            .trap, .next(removed, .flag(false)), .next(removed, .flag(false)),
            .next(removed, .flag(false)),
        ],
    ]

    private static func apply(_ event: Event, to phase: inout ChildPhase) -> Answer {
        switch event {
        case .launched2: phase.launched(2); return .none
        case .startFailed1: phase.startFailed(1); return .none
        case .startFailed9: phase.startFailed(9); return .none
        case .exited1: return .exit(phase.exited(1))
        case .exited9: return .exit(phase.exited(9))
        case .requestStop: return .stopNumber(phase.requestStop())
        case .abandoned1: phase.abandoned(1); return .none
        case .abandoned9: phase.abandoned(9); return .none
        case .stop: return .stop(phase.stop())
        case .restartScheduled8: phase.restartScheduled(token: 8); return .none
        case .restartDue7: return .flag(phase.restartDue(token: 7))
        case .restartDue9: return .flag(phase.restartDue(token: 9))
        case .remove: return .flag(phase.remove())
        }
    }

    static let pairs: [(row: Int, column: Int)] = phases.indices.flatMap { row in Event.allCases.indices.map { (row, $0) } }

    @Test(arguments: pairs.indices)
    func everyPhaseAndEvent(_ index: Int) {
        let (row, column) = Self.pairs[index]
        #expect(Self.table.count == Self.phases.count)
        #expect(Self.table[row].count == Event.allCases.count, "row \(Self.phases[row]) has a cell per event")
        let event = Event.allCases[column]
        var phase = Self.phases[row]
        switch Self.table[row][column] {
        case .trap:
            // Only these events trap, and only outside the phases they are meant for.
            switch event {
            case .launched2, .restartScheduled8: #expect(phase != .down, "\(phase): \(event)")
            case .remove: #expect(phase != .down && phase != .removed, "\(phase): \(event)")
            case .stop: #expect(phase == .removed, "\(phase): \(event)")
            default: Issue.record("\(phase): \(event) is not an event that traps")
            }
        case .next(let next, let answer):
            let given = Self.apply(event, to: &phase)
            #expect(phase == next, "\(Self.phases[row]): \(event)")
            #expect(given == answer, "\(Self.phases[row]): \(event)")
        }
    }

    @Test func onlyAnIncarnationThatRunsCountsAsRunning() {
        #expect(Self.phases.filter(\.isRunning) == [Self.running1, Self.requested1])
    }

    /// The life of a child that fails, waits out a backoff and is restarted, then is asked
    /// to stop: the earlier incarnation's late exit is stale throughout.
    @Test func aLateExitOfAnEarlierIncarnationIsStale() {
        var phase = ChildPhase.down
        phase.launched(1)
        let firstExit = phase.exited(1)
        #expect(firstExit == .unrequested)
        phase.restartScheduled(token: 1)
        let due = phase.restartDue(token: 1)
        #expect(due)
        phase.launched(2)
        let asked = phase.requestStop()
        #expect(asked == 2)
        let late = phase.exited(1)
        #expect(late == .stale, "incarnation 1's exit does not end incarnation 2's requested stop")
        #expect(phase == .stopRequested(incarnation: 2))
        let ended = phase.exited(2)
        #expect(ended == .requestedStopEnded)
        #expect(phase == .down)
    }
}
