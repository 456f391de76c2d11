import Synchronization
import Testing
@testable import Troupe
import TroupeTesting

@Suite struct EventBusTests {
    /// Checks that it receives 0, 1, 2, ... and reports when it has seen `target` events.
    struct InOrder: Behavior {
        let target: Int
        let finished: TestProbe<String>
        var expected = 0
        var outOfOrder = 0

        mutating func receive(_ value: Int, context: ActorContext<Int>) async throws {
            if value != expected { outOfOrder += 1 }
            expected = value + 1
            if expected == target { finished.record("\(context.path.name): \(target) in order, \(outOfOrder) out of order") }
        }
    }

    /// Records each event; holds the first one until `release` opens; stops on -1.
    struct Slow: Behavior {
        let release: Latch
        let seen: TestProbe<Int>
        var first = true

        mutating func receive(_ value: Int, context: ActorContext<Int>) async throws {
            if value == -1 {
                context.stop()
                return
            }
            seen.record(value)
            if first {
                first = false
                await release.wait()
            }
        }
    }

    /// Publishes 0..<count to a topic from inside the actor system, as a service would.
    struct Publisher: Behavior {
        let bus: EventBus<String, Int>

        func receive(_ message: (count: Int, topic: String, done: ReplyTo<Void>), context: ActorContext<(count: Int, topic: String, done: ReplyTo<Void>)>) async throws {
            for value in 0..<message.count {
                await bus.publish(value, to: message.topic)
            }
            message.done.reply(())
        }
    }

    /// A sink holding at most `capacity` events (it refuses, and counts, the rest). With a
    /// gate, its first offer holds the bus actor's thread until the gate opens.
    final class TestSink: EventSink {
        struct State {
            var taken: [Int] = []
            var refused = 0
            var offers = 0
        }

        let capacity: Int
        let gate: BlockingGate?
        private let state = Mutex(State())

        init(capacity: Int = .max, gate: BlockingGate? = nil) {
            self.capacity = capacity
            self.gate = gate
        }

        func offer(_ event: Int) -> Bool {
            let first = state.withLock { state in
                state.offers += 1
                return state.offers == 1
            }
            if first, let gate { gate.block() }
            return state.withLock { state in
                guard state.taken.count < capacity else {
                    state.refused += 1
                    return false
                }
                state.taken.append(event)
                return true
            }
        }

        var taken: [Int] { state.withLock { $0.taken } }
        var refused: Int { state.withLock { $0.refused } }
    }

    private func startBus(clock: ManualClock = ManualClock(), mailbox: MailboxConfiguration = .buildingBlockDefault) async throws -> (ActorSystem, EventBus<String, Int>) {
        let system = try ActorSystem.forTesting(clock: clock)
        let bus = EventBus<String, Int>(mailbox: mailbox)
        try await system.start(.supervisor("services", SupervisorSpec(children: [bus.childSpec("bus")])))
        return (system, bus)
    }

    // MARK: A subscriber that never drains

    @Test func aNeverDrainingSubscriberStaysWithinItsQueueWhileOthersGetEverythingInOrder() async throws {
        let (system, bus) = try await startBus()
        let events = 1_000_000
        let release = Latch()
        let seen = TestProbe<Int>()
        let finished = TestProbe<String>()
        // Its own mailbox: 4 events, taken one at a time.
        let stuck = try await system.spawn("stuck", mailbox: mailbox(4, batch: 1)) { Slow(release: release, seen: seen) }
        let first = try await system.spawn("first", mailbox: mailbox(1_024)) { InOrder(target: events, finished: finished) }
        let second = try await system.spawn("second", mailbox: mailbox(1_024)) { InOrder(target: events, finished: finished) }
        let lossless = try SubscriberQueue(capacity: 1_024, overflow: .blockPublisher(timeout: .seconds(60)))
        let stuckSubscription = try await bus.subscribe(stuck, to: "ticks", queue: SubscriberQueue(capacity: 16, overflow: .dropOldest))
        try await bus.subscribe(first, to: "ticks", queue: lossless)
        try await bus.subscribe(second, to: "ticks", queue: lossless)

        let publisher = try await system.spawn("publisher", mailbox: mailbox(1)) { Publisher(bus: bus) }
        try await publisher.ask(timeout: .seconds(600)) { (events, "ticks", $0) }
        let reports = [try await finished.next(), try await finished.next()].sorted()
        #expect(reports == ["first: \(events) in order, 0 out of order", "second: \(events) in order, 0 out of order"])

        let metrics = try await bus.metrics()
        let queue = try #require(metrics.subscribers.first { $0.id == stuckSubscription.id })
        #expect(queue.depth == 16)
        #expect(queue.highWaterMark == 16, "never more than its queue")
        // Held besides the queue: one event in the stuck handler, four in its mailbox, one
        // being handed on. Everything else was dropped, and counted.
        #expect(queue.dropped == events - 16 - 1 - 4 - 1)
        #expect(stuck.metrics.highWaterMark == 4)
        _ = try await seen.next()
        try seen.expectNoPendingEvents()
        release.open()
        await system.shutdown()
    }

    // MARK: Each policy at its edge

    /// Fills `slow`'s pipeline deterministically: event 1 held in its handler, 2 in its
    /// mailbox (capacity 1), 3 being handed on by the forwarder (waiting for room), and the
    /// bus queue (capacity 2) empty. Returns the subscriber and its forwarder (its queue).
    private func fillPipeline(
        _ system: ActorSystem, _ bus: EventBus<String, Int>, overflow: SubscriberQueue.Overflow, seen: TestProbe<Int>, release: Latch
    ) async throws -> (ActorRef<Int>, ActorRef<ForwarderMessage<Int>>) {
        let slow = try await system.spawn("slow", mailbox: mailbox(1, batch: 1)) { Slow(release: release, seen: seen) }
        let subscription = try await bus.subscribe(slow, to: "t", queue: SubscriberQueue(capacity: 2, overflow: overflow))
        let forwarder = try #require(system.lookup(ActorPath("/root/services/bus/subscriber-\(subscription.id)")!, as: ForwarderMessage<Int>.self))
        #expect(await bus.publish(1, to: "t").queued == 1)
        #expect(try await seen.next() == 1)
        await bus.publish(2, to: "t")
        try await eventually("2 waits in the subscriber's mailbox") { slow.metrics.mailboxDepth == 1 }
        await bus.publish(3, to: "t")
        try await eventually("3 waits for room") { slow.metrics.suspendedSenders == 1 }
        #expect(forwarder.metrics.mailboxDepth == 0)
        return (slow, forwarder)
    }

    @Test func dropNewestKeepsTheQueuedEventsAndDropsTheArrivingOnes() async throws {
        let (system, bus) = try await startBus()
        let (seen, release) = (TestProbe<Int>(), Latch())
        let (_, forwarder) = try await fillPipeline(system, bus, overflow: .dropNewest, seen: seen, release: release)
        #expect(await bus.publish(4, to: "t") == PublishReport(queued: 1))
        #expect(await bus.publish(5, to: "t") == PublishReport(queued: 1))
        #expect(await bus.publish(6, to: "t") == PublishReport(dropped: 1))
        #expect(bus.tryPublish(7, to: "t") == PublishReport(dropped: 1))
        #expect(forwarder.metrics.dropped == 2)
        release.open()
        try await seen.expect(sequence: [2, 3, 4, 5])
        await system.shutdown()
        try seen.expectNoPendingEvents()
    }

    @Test func dropOldestMakesRoomForTheLatestEvents() async throws {
        let (system, bus) = try await startBus()
        let (seen, release) = (TestProbe<Int>(), Latch())
        let (_, forwarder) = try await fillPipeline(system, bus, overflow: .dropOldest, seen: seen, release: release)
        for value in 4...7 {
            #expect(await bus.publish(value, to: "t") == PublishReport(queued: 1))
        }
        #expect(forwarder.metrics.dropped == 2)
        #expect(forwarder.metrics.highWaterMark == 2)
        release.open()
        try await seen.expect(sequence: [2, 3, 6, 7])
        await system.shutdown()
        try seen.expectNoPendingEvents()
    }

    @Test func disconnectEndsTheSubscriptionAtTheFirstOverflow() async throws {
        let (system, bus) = try await startBus()
        let (seen, release) = (TestProbe<Int>(), Latch())
        let (slow, _) = try await fillPipeline(system, bus, overflow: .disconnect, seen: seen, release: release)
        #expect(await bus.publish(4, to: "t") == PublishReport(queued: 1))
        #expect(await bus.publish(5, to: "t") == PublishReport(queued: 1))
        #expect(await bus.publish(6, to: "t") == PublishReport(disconnected: 1))
        #expect(await bus.publish(7, to: "t") == PublishReport(), "no longer a subscriber")
        let metrics = try await bus.metrics()
        #expect(metrics.subscribers.isEmpty)
        #expect(metrics.disconnected == 1)
        release.open()
        // The queued 4 and 5 were discarded, and 3, which was waiting for room, was
        // abandoned: the forwarder does not outlive the subscription.
        await slow.send(99)
        try await seen.expect(sequence: [2, 99])
        await system.shutdown()
        try seen.expectNoPendingEvents()
    }

    @Test func blockPublisherWaitsForRoomUpToItsTimeoutThenDrops() async throws {
        let clock = ManualClock()
        let (system, bus) = try await startBus(clock: clock)
        let (seen, release) = (TestProbe<Int>(), Latch())
        let (_, forwarder) = try await fillPipeline(
            system, bus, overflow: .blockPublisher(timeout: .seconds(5)), seen: seen, release: release
        )
        #expect(await bus.publish(4, to: "t") == PublishReport(queued: 1))
        #expect(await bus.publish(5, to: "t") == PublishReport(queued: 1))
        let blocked = TestProbe<PublishReport>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { blocked.record(await bus.publish(6, to: "t")) }
            try await eventually("the publisher waits") { forwarder.metrics.suspendedSenders == 1 }
            clock.advance(by: .seconds(5) - .nanoseconds(1))
            #expect(blocked.pending.isEmpty, "still waiting just before the timeout")
            clock.advance(by: .nanoseconds(1))
            #expect(try await blocked.next() == PublishReport(dropped: 1))
            try await group.waitForAll()
        }
        // With room, a blocked publisher goes on: 7 waits until the subscriber drains.
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { blocked.record(await bus.publish(7, to: "t")) }
            try await eventually("the publisher waits") { forwarder.metrics.suspendedSenders == 1 }
            release.open()
            #expect(try await blocked.next() == PublishReport(queued: 1))
            try await group.waitForAll()
        }
        try await seen.expect(sequence: [2, 3, 4, 5, 7])
        await system.shutdown()
    }

    /// A subscriber that never drains is unsubscribed, or cut off by `disconnect`, while its
    /// forwarder waits for room in its full mailbox: the forwarder must end at once, not
    /// when (if ever) the subscriber drains, and leave no task behind.
    @Test(arguments: ["unsubscribe", "disconnect"])
    func aRemovedSubscribersForwarderEndsAtOnceEvenWhileWaitingForRoom(_ removal: String) async throws {
        let (system, bus) = try await startBus()
        let (seen, release) = (TestProbe<Int>(), Latch())
        let (slow, forwarder) = try await fillPipeline(
            system, bus, overflow: removal == "disconnect" ? .disconnect : .dropNewest, seen: seen, release: release
        )
        let forwarderEnded = TestProbe<String>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { forwarderEnded.record("\(try await forwarder.termination())") }
            if removal == "disconnect" {
                for value in 4...6 { await bus.publish(value, to: "t") }
            } else {
                let subscription = try #require(try await bus.metrics().subscribers.first)
                #expect(try await bus.unsubscribe(BusSubscription(id: subscription.id, topic: "t", subscriber: slow.path)))
            }
            // The subscriber still holds event 1 and its mailbox is still full.
            let ended = try? await forwarderEnded.next()
            #expect(ended == "normal", "the forwarder ended while its subscriber was still full")
            #expect(slow.metrics.suspendedSenders == 0, "its wait for room was withdrawn")
            release.open()
            try await group.waitForAll()
        }
        try await eventually("its queue is gone from the tree") { !system.tree().contains("subscriber-") }
        await slow.send(99)
        try await seen.expect(sequence: [2, 99])
        await system.shutdown()
        #expect(system.liveTaskCount == 0)
        #expect(system.liveActorCount == 0)
        try seen.expectNoPendingEvents()
    }

    // MARK: Subscriptions end with their subscriber

    @Test func aStoppedSubscriberIsRemoved() async throws {
        let (system, bus) = try await startBus()
        let (seen, release) = (TestProbe<Int>(), Latch())
        release.open()
        let subscriber = try await system.spawn("leaving", mailbox: mailbox(8), restart: .transient) {
            Slow(release: release, seen: seen)
        }
        let onA = try await bus.subscribe(subscriber, to: "a", queue: SubscriberQueue(capacity: 8, overflow: .dropOldest))
        try await bus.subscribe(subscriber, to: "b", queue: SubscriberQueue(capacity: 8, overflow: .dropOldest))
        #expect(system.tree().contains("/root/services/bus/subscriber-\(onA.id)"))
        await bus.publish(1, to: "a")
        try await seen.expect(1)

        await bus.publish(-1, to: "b")  // the subscriber stops itself
        #expect("\(try await subscriber.termination())" == "normal")
        var metrics = try await bus.metrics()
        while metrics.subscriberStopped < 2 {
            await Task.yield()
            metrics = try await bus.metrics()
        }
        #expect(metrics.subscribers.isEmpty)
        #expect(await bus.publish(2, to: "a") == PublishReport())
        try await eventually("its queues are gone") { !system.tree().contains("subscriber-") }

        // Subscribing an actor that has already stopped ends at once as well.
        let late = try await bus.subscribe(subscriber, to: "a", queue: SubscriberQueue(capacity: 8, overflow: .dropOldest))
        #expect(late.id > onA.id)
        metrics = try await bus.metrics()
        #expect(metrics.subscribers.isEmpty)
        #expect(metrics.subscriberStopped == 3)
        await system.shutdown()
    }

    @Test func unsubscribeTopicsAndTransformedMessages() async throws {
        enum Inbox: Sendable, Equatable {
            case tick(Int)
        }
        struct Collector: Behavior {
            let seen: TestProbe<String>
            func receive(_ message: Inbox, context: ActorContext<Inbox>) async throws {
                seen.record("\(context.path.name) \(message)")
            }
        }
        let (system, bus) = try await startBus()
        let seen = TestProbe<String>()
        let x = try await system.spawn("x", mailbox: mailbox(8)) { Collector(seen: seen) }
        let queue = try SubscriberQueue(capacity: 8, overflow: .blockPublisher(timeout: .seconds(1)))
        let subscription = try await bus.subscribe(x, to: "red", queue: queue, as: Inbox.tick)
        await bus.publish(1, to: "blue")
        await bus.publish(2, to: "red")
        try await seen.expect("x tick(2)")
        #expect(try await bus.unsubscribe(subscription))
        #expect(try await bus.unsubscribe(subscription) == false)
        #expect(await bus.publish(3, to: "red") == PublishReport())
        #expect(try await bus.metrics().unsubscribed == 1)
        await system.shutdown()
        try seen.expectNoPendingEvents()
    }

    // MARK: Sinks

    @Test func aSinkIsOfferedItsTopicsEventsInPublicationOrderAndNoOthers() async throws {
        let (system, bus) = try await startBus()
        let (red, blue) = (TestSink(), TestSink())
        let redSubscription = try await bus.subscribe(sink: red, to: "red")
        try await bus.subscribe(sink: blue, to: "blue")
        #expect(redSubscription.subscriber == ActorPath("/root/services/bus"), "a sink subscription names the bus actor")
        let events = 500
        for value in 0..<events {
            // Both ways of publishing, interleaved: one publisher, one order.
            if value.isMultiple(of: 2) {
                #expect(bus.tryPublish(value, to: "red") == PublishReport(queued: 1))
            } else {
                #expect(await bus.publish(value, to: "red") == PublishReport(queued: 1))
            }
            bus.tryPublish(-value, to: "blue")
        }
        #expect(bus.tryPublish(1, to: "green") == PublishReport(), "no subscriber, nothing handed to the bus")
        try await eventually("both sinks have every event") { red.taken.count == events && blue.taken.count == events }
        #expect(red.taken == Array(0..<events))
        #expect(blue.taken == (0..<events).map { -$0 })
        let metrics = try await bus.metrics()
        #expect(metrics.sinkSubscriptions == 2)
        #expect(metrics.sinkDeliveries == 2 * events)
        #expect(metrics.sinkRefusals == 0)
        #expect(metrics.sinkEventsDropped == 0)
        #expect(metrics.subscribers.isEmpty, "no forwarder actor for a sink")
        #expect(!system.tree().contains("subscriber-"))
        await system.shutdown()
    }

    @Test func onceUnsubscribeReturnsASinkIsOfferedNothingMore() async throws {
        let (system, bus) = try await startBus()
        let (leaving, staying, elsewhere) = (TestSink(), TestSink(), TestSink())
        let leavingSubscription = try await bus.subscribe(sink: leaving, to: "t")
        let stayingSubscription = try await bus.subscribe(sink: staying, to: "t")
        let elsewhereSubscription = try await bus.subscribe(sink: elsewhere, to: "u")
        for value in 1...100 { bus.tryPublish(value, to: "t") }
        #expect(try await bus.unsubscribe(leavingSubscription))
        #expect(try await bus.unsubscribe(leavingSubscription) == false)
        #expect(bus.tryPublish(101, to: "t") == PublishReport(queued: 1), "only the staying sink")
        // The bus offers in mailbox order: once 101 reached the staying sink, it would have
        // reached the leaving one.
        try await eventually("101 is delivered") { staying.taken.last == 101 }
        #expect(leaving.taken == Array(1...100), "everything published before, nothing after")

        // Several at once, in one message; one of them has already ended.
        #expect(try await bus.unsubscribe([leavingSubscription, stayingSubscription, elsewhereSubscription]) == 2)
        #expect(try await bus.unsubscribe([BusSubscription<String>]()) == 0)
        #expect(bus.tryPublish(102, to: "t") == PublishReport())
        #expect(bus.tryPublish(102, to: "u") == PublishReport())
        let metrics = try await bus.metrics()
        #expect(metrics.sinkSubscriptions == 0)
        #expect(metrics.unsubscribed == 3)
        #expect(staying.taken == Array(1...101))
        #expect(elsewhere.taken.isEmpty)
        await system.shutdown()
    }

    @Test func aFullSinkRefusesCountedAndDelaysNoOtherSink() async throws {
        let (system, bus) = try await startBus()
        let (full, open) = (TestSink(capacity: 2), TestSink())
        // The full sink comes first in the topic's order.
        try await bus.subscribe(sink: full, to: "t")
        try await bus.subscribe(sink: open, to: "t")
        for value in 0..<10 {
            #expect(bus.tryPublish(value, to: "t") == PublishReport(queued: 2))
        }
        try await eventually("the open sink has everything") { open.taken.count == 10 }
        #expect(open.taken == Array(0..<10))
        #expect(full.taken == [0, 1])
        #expect(full.refused == 8)
        let metrics = try await bus.metrics()
        #expect(metrics.sinkRefusals == 8)
        #expect(metrics.sinkDeliveries == 12)
        await system.shutdown()
    }

    /// The bus actor's thread is held inside a sink's offer (as a sink must never do), so
    /// its mailbox (capacity 4) fills: further events for sinks are dropped and counted,
    /// publishers never wait, and the actor subscriber of the same topic still gets every
    /// event.
    @Test func aFullBusMailboxDropsEventsForSinksWithoutMakingPublishersWait() async throws {
        let (system, bus) = try await startBus(mailbox: mailbox(4))
        let gate = BlockingGate()
        let held = TestSink(gate: gate)
        let actorEvents = TestProbe<Int>()
        try await bus.subscribe(sink: held, to: "t")
        try await bus.subscribe(try await actorEvents.ref(in: system), to: "t", queue: SubscriberQueue(capacity: 64, overflow: .dropNewest))
        #expect(bus.tryPublish(0, to: "t") == PublishReport(queued: 2))
        try await gate.waitForArrivals(1)
        for value in 1...4 {
            #expect(bus.tryPublish(value, to: "t") == PublishReport(queued: 2))
        }
        #expect(bus.tryPublish(5, to: "t") == PublishReport(queued: 1, dropped: 1))
        #expect(await bus.publish(6, to: "t") == PublishReport(queued: 1, dropped: 1), "publish does not wait for room either")
        let busActor = try #require(system.lookup(ActorPath("/root/services/bus")!, as: EventBusMessage<String, Int>.self))
        #expect(busActor.metrics.mailboxDepth == 4)
        // Checked after the gate opens: a job the bus actor's thread had queued for itself
        // before it was held (the forwarder's, say) waits for that thread.
        gate.open()
        try await actorEvents.expect(sequence: Array(0...6))
        try await eventually("the queued events are offered") { held.taken.count == 5 }
        #expect(held.taken == Array(0...4))
        let metrics = try await bus.metrics()
        #expect(metrics.sinkEventsDropped == 2)
        #expect(metrics.sinkDeliveries == 5)
        #expect(metrics.busMailboxHighWaterMark == 4)
        #expect(metrics.busMailboxDepth == 0)
        #expect(!gate.timedOut)
        await system.shutdown()
    }

    @Test func aHundredSinksOnOneTopicEachGetEveryEventInOrder() async throws {
        let (system, bus) = try await startBus()
        let sinks = (0..<100).map { _ in TestSink() }
        for sink in sinks { try await bus.subscribe(sink: sink, to: "t") }
        // At most the bus mailbox's capacity (1,024), so none can be dropped even if the
        // bus actor had not started to drain.
        let events = 1_000
        for value in 0..<events {
            #expect(bus.tryPublish(value, to: "t") == PublishReport(queued: 100))
        }
        try await eventually("every sink has every event") { sinks.allSatisfy { $0.taken.count == events } }
        #expect(sinks.allSatisfy { $0.taken == Array(0..<events) })
        let metrics = try await bus.metrics()
        #expect(metrics.sinkSubscriptions == 100)
        #expect(metrics.sinkDeliveries == 100 * events)
        #expect(metrics.sinkEventsDropped == 0)
        #expect(metrics.busMailboxHighWaterMark <= 1_024)
        await system.shutdown()
    }

    @Test func aRestartOfTheBusActorEndsSinkSubscriptions() async throws {
        let (system, bus) = try await startBus()
        let before = TestSink()
        let subscription = try await bus.subscribe(sink: before, to: "t")
        bus.tryPublish(1, to: "t")
        try await eventually("1 is delivered") { before.taken == [1] }
        #expect(system.injectFault(at: ActorPath("/root/services/bus")!))
        // The message that fails; its reply channel is dropped with the incarnation.
        _ = try? await bus.metrics()
        let metrics = try await bus.metrics()
        #expect(metrics.sinkSubscriptions == 0)
        #expect(bus.tryPublish(2, to: "t") == PublishReport(), "publishers no longer see the sink")
        #expect(try await bus.unsubscribe(subscription) == false)
        // The new incarnation takes new sinks.
        let after = TestSink()
        try await bus.subscribe(sink: after, to: "t")
        #expect(bus.tryPublish(3, to: "t") == PublishReport(queued: 1))
        try await eventually("3 is delivered") { after.taken == [3] }
        #expect(before.taken == [1])
        await system.shutdown()
    }

    /// An owner may still hold a subscription from before a restart of the bus actor; ending
    /// it (each way there is) must not end the newer subscription the next incarnation made,
    /// so ids are never reused across restarts.
    @Test(arguments: ["unsubscribe", "unsubscribeAll", "tryUnsubscribe"])
    func aSubscriptionFromBeforeARestartCannotEndANewerOne(_ removal: String) async throws {
        let (system, bus) = try await startBus()
        let (before, after) = (TestSink(), TestSink())
        let old = try await bus.subscribe(sink: before, to: "t")
        #expect(system.injectFault(at: ActorPath("/root/services/bus")!))
        // The message that fails; its reply channel is dropped with the incarnation.
        _ = try? await bus.metrics()
        let new = try await bus.subscribe(sink: after, to: "t")
        #expect(new.id != old.id)
        #expect(new.id > old.id, "ids go on increasing across the restart")

        switch removal {
        case "unsubscribe":
            #expect(try await bus.unsubscribe(old) == false, "the old subscription has ended")
        case "unsubscribeAll":
            #expect(try await bus.unsubscribe([old]) == 0, "the old subscription has ended")
        default:
            bus.tryUnsubscribe([old])
        }
        // Asked after the removal was delivered (a release goes on the system lane, which
        // the bus actor handles first): the newer sink is still subscribed.
        let metrics = try await bus.metrics()
        #expect(metrics.sinkSubscriptions == 1)
        #expect(metrics.unsubscribed == 0)
        #expect(bus.tryPublish(1, to: "t") == PublishReport(queued: 1))
        try await eventually("the newer sink still gets events") { after.taken == [1] }
        #expect(before.taken.isEmpty)
        #expect(try await bus.unsubscribe(new), "live until its own unsubscribe")
        await system.shutdown()
    }

    @Test func invalidQueuesAreConfigurationErrors() {
        #expect(throws: ConfigurationError.self) { try SubscriberQueue(capacity: 0, overflow: .dropOldest) }
        #expect(throws: ConfigurationError.self) { try SubscriberQueue(capacity: 1, overflow: .blockPublisher(timeout: .zero)) }
    }
}
