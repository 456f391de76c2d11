import Testing
import Troupe
import TroupeTesting

/// The test kit itself: what scenario tests rely on.
@Suite struct TestKitTests {
    /// Several tasks may wait on one probe: each event reaches exactly one of them, and no
    /// waiter is lost when another one arrives.
    @Test func manyTasksWaitingOnOneProbeEachGetOneEvent() async throws {
        let probe = TestProbe<Int>()
        let received = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<50 { group.addTask { try await probe.next() } }
            for value in 0..<50 {
                await Task.yield()
                probe.record(value)
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(received.sorted() == Array(0..<50))
        try probe.expectNoPendingEvents()
    }

    /// A test system's log lines go to the logger it was given, from its level up.
    @Test func aTestSystemLogsToItsLoggerFromItsLevelUp() async throws {
        let lines = TestProbe<String>()
        let system = try ActorSystem.forTesting(logLevel: .error) { level, line in lines.record("\(level) \(line)") }
        system.injectFault(at: .root)  // the root supervisor fails: an error line
        _ = await system.terminated()
        let line = try await lines.next()
        #expect(line.hasPrefix("error [test] the root supervisor of test ended"))
        await system.shutdown()
    }

    /// Without a log level a test system logs nothing, not even the end of its root.
    @Test func aTestSystemWithoutALogLevelLogsNothing() async throws {
        let lines = TestProbe<String>()
        let system = try ActorSystem.forTesting(logLevel: nil) { _, line in lines.record(line) }
        system.injectFault(at: .root)
        _ = await system.terminated()  // the line would have been logged before this returns
        try lines.expectNoPendingEvents()
        await system.shutdown()
    }

    /// A wait that times out is reported where the test waited (not at the `@Test` line),
    /// naming what it waited for and what the probe saw.
    @Test func aProbeWaitThatTimesOutIsReportedWhereItWaited() async throws {
        let probe = TestProbe<String>(timeout: .milliseconds(20))
        probe.record("a")
        try await probe.expect("a")
        let line = #line + 1
        try await withKnownIssue { try await probe.expect("b") } matching: { issue in
            issue.sourceLocation?.line == line && issue.comments.map(\.rawValue) == [#"timed out waiting for b; received: ["a"]"#]
        }
    }

    /// An event that is not the expected one is reported at the expectation, a sequence's
    /// included, naming the event that did not come.
    @Test func anUnexpectedLifecycleEventIsReportedAtTheExpectation() async throws {
        let lifecycle = TestProbe<Lifecycle>(name: "lifecycle")
        lifecycle.record(.started("/root/a"))
        lifecycle.record(.failed("/root/a"))
        let line = #line + 1
        try await withKnownIssue { try await lifecycle.expect(sequence: [.started("/root/a"), .started("/root/b")]) } matching: { issue in
            issue.sourceLocation?.line == line && issue.comments.map(\.rawValue) == ["expected started /root/b, received failed /root/a"]
        }
    }

    /// The test kit's other waits report a timeout where they were called too.
    @Test func theOtherWaitsReportATimeoutWhereTheyWereCalled() async throws {
        let clock = ManualClock()
        let latch = Latch()
        let timers = #line + 1
        try await withKnownIssue { try await clock.waitForTimers(count: 1, timeout: .milliseconds(20)) } matching: { issue in
            issue.sourceLocation?.line == timers && issue.comments.map(\.rawValue) == ["timed out waiting for 1 scheduled timer(s), have 0"]
        }
        let arrivals = #line + 1
        try await withKnownIssue { try await latch.waitForArrivals(1, timeout: .milliseconds(20)) } matching: { issue in
            issue.sourceLocation?.line == arrivals && issue.comments.map(\.rawValue) == ["timed out waiting for 1 arrival(s) at the latch; received: 0 arrived"]
        }
        let condition = #line + 1
        try await withKnownIssue { try await eventually("never", timeout: .milliseconds(20)) { false } } matching: { issue in
            issue.sourceLocation?.line == condition && issue.comments.map(\.rawValue) == ["timed out waiting for never"]
        }
    }

    /// A typed expectation names the actor by the handle the test holds, and equals the
    /// event the actor's lifecycle produces: a `ChildRef`, an `ActorRef`, a `SupervisorRef`
    /// and an `ActorPath` of one actor all make the same expectation.
    @Test func typedLifecycleExpectationsNameTheActorByItsHandle() async throws {
        let system = try ActorSystem.forTesting()
        let counter = ChildRef<CounterMessage>()
        let shop = try await system.start(.supervisor("shop", SupervisorSpec(children: [
            counter.childSpec("counter", mailbox: mailbox(16)) { Counter() },
        ])))
        let ref = try #require(counter.ref)
        let supervisor = try #require(system.supervisor(at: shop))
        #expect(Lifecycle.failed(counter) == .failed(ref))
        #expect(Lifecycle.failed(counter) == .failed(ref.path))
        #expect(Lifecycle.started(supervisor) == .started(shop))
        #expect(Lifecycle.stopped(counter) == .stopped("/root/shop/counter"), "the same event as the string form")

        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system)
        #expect(system.injectFault(at: counter))
        counter.trySend(.increment)
        try await lifecycle.expect(sequence: [.failed(counter), .started(ref)])
        #expect(system.injectFault(at: supervisor))  // a supervisor fails at once
        try await lifecycle.expect(sequence: [.stopped(counter), .failed(supervisor), .started(counter), .started(shop)])
        await system.shutdown()
    }

    /// An expectation built from a `ChildRef` whose spec is not placed matches no event: it
    /// fails at the first event, naming the ref, rather than waiting for its timeout; fault
    /// injection through it reports that it reached nobody.
    @Test func anExpectationOfAnUnplacedChildRefFailsAtOnceNamingIt() async throws {
        let system = try ActorSystem.forTesting()
        let unplaced = ChildRef<CounterMessage>()
        let lifecycle = TestProbe<Lifecycle>(name: "lifecycle")
        lifecycle.record(.started("/root/a"))
        let line = #line + 1
        try await withKnownIssue { try await lifecycle.expect(.started(unplaced)) } matching: { issue in
            issue.sourceLocation?.line == line
                && issue.comments.map(\.rawValue) == ["expected started <ChildRef<CounterMessage> not placed>, received started /root/a"]
        }
        #expect(!system.injectFault(at: unplaced))
        await system.shutdown()
    }

    /// `lifecycle(of:under:)` with a path records the actors below it: not the actor
    /// itself, nor a sibling whose name merely starts the same way.
    @Test func aLifecycleProbeUnderAPathRecordsItsDescendantsOnly() async throws {
        let system = try ActorSystem.forTesting()
        let shop = ActorPath.root.appending("shop")
        let lifecycle = TestProbe<Lifecycle>.lifecycle(of: system, under: shop)
        let counter = ChildRef<CounterMessage>()
        let started = try await system.start(.supervisor("shop", SupervisorSpec(children: [
            counter.childSpec("counter", mailbox: mailbox(16)) { Counter() },
        ])))
        #expect(started == shop)
        _ = try await system.spawn("shopping", mailbox: mailbox(16)) { Counter() }
        try await lifecycle.expect(.started(counter))
        try lifecycle.expectNoPendingEvents()  // neither shop itself nor shopping
        await system.shutdown()
    }
}
