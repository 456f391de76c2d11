import Testing
import Troupe
import TroupeTesting

/// What an ask made from inside a peer's handler came to.
enum CallOutcome: Sendable, Equatable {
    /// The last actor asked answered with its path.
    case reached(String)
    case failed(AskError)
}

/// What peers report while they forward and hold reply channels.
enum PeerEvent: Sendable, Equatable {
    case forwarded(String)
    case holds(String)
    case askedAfterForwarding(CallOutcome)
}

enum PeerMessage: Sendable {
    /// Ask the first of `chain` to call the rest, and reply with what that ask came to; an
    /// empty chain is answered with this actor's path. With a `gate`, wait at it first.
    case call([ActorRef<PeerMessage>], gate: Latch?, ReplyTo<CallOutcome>)
    /// Ask `peer` with `request` and reply with what that ask came to.
    case relay(to: ActorRef<PeerMessage>, request: @Sendable (ReplyTo<CallOutcome>) -> PeerMessage, ReplyTo<CallOutcome>)
    /// Pass the reply channel on to `holder`, which keeps it, and return at once: the asker
    /// now waits on `holder`, not on this actor.
    case forward(to: ActorRef<PeerMessage>, ReplyTo<CallOutcome>)
    /// Pass the reply channel on to `holder`, then, in the same handler, call `chain`.
    case forwardThenCall(to: ActorRef<PeerMessage>, [ActorRef<PeerMessage>], ReplyTo<CallOutcome>)
    /// Keep the reply channel until `release`.
    case hold(ReplyTo<CallOutcome>)
    /// Answer every held reply channel with this actor's path.
    case release
}

/// An actor that asks other peers from inside its handler, so asks form chains and cycles.
struct Peer: Behavior {
    let events: TestProbe<PeerEvent>
    var held: [ReplyTo<CallOutcome>] = []

    mutating func receive(_ message: PeerMessage, context: ActorContext<PeerMessage>) async throws {
        let me = context.path.description
        switch message {
        case .call(let chain, let gate, let reply):
            await gate?.wait()
            guard let next = chain.first else { return reply.reply(.reached(me)) }
            reply.reply(await Self.outcome { () async throws(AskError) in try await next.ask { .call(Array(chain.dropFirst()), gate: nil, $0) } })
        case .relay(let peer, let request, let reply):
            reply.reply(await Self.outcome { () async throws(AskError) in try await peer.ask(request) })
        case .forward(let holder, let reply):
            holder.trySend(.hold(reply))
            events.record(.forwarded(me))
        case .forwardThenCall(let holder, let chain, let reply):
            holder.trySend(.hold(reply))
            let outcome = await Self.outcome { () async throws(AskError) in try await chain[0].ask { .call(Array(chain.dropFirst()), gate: nil, $0) } }
            events.record(.askedAfterForwarding(outcome))
        case .hold(let reply):
            held.append(reply)
            events.record(.holds(me))
        case .release:
            for reply in held { reply.reply(.reached(me)) }
            held.removeAll()
        }
    }

    static func outcome(_ ask: () async throws(AskError) -> CallOutcome) async -> CallOutcome {
        do throws(AskError) {
            return try await ask()
        } catch {
            return .failed(error)
        }
    }
}

/// Asks that would close a cycle of actors waiting on each other fail at once
/// (``AskError/deadlock(cycle:)``). Every system here runs on a manual clock that is never
/// advanced: an ask left to its deadline would never return, so each answer came at once.
/// Answers are awaited through probes, whose real-time bound fails a hung test.
@Suite struct AskCycleTests {
    private func spawnPeers(
        _ names: [String], in system: ActorSystem, events: TestProbe<PeerEvent> = TestProbe()
    ) async throws -> [ActorRef<PeerMessage>] {
        var refs: [ActorRef<PeerMessage>] = []
        for name in names {
            refs.append(try await system.spawn(name, mailbox: mailbox(64)) { Peer(events: events) })
        }
        return refs
    }

    /// Asks `peer` from a plain task and records the answer on `answers`.
    private func ask(_ peer: ActorRef<PeerMessage>, into answers: TestProbe<CallOutcome>, _ request: @escaping @Sendable (ReplyTo<CallOutcome>) -> PeerMessage) {
        Task { answers.record(await Peer.outcome { () async throws(AskError) in try await peer.ask(request) }) }
    }

    /// The answer of `first` after it called `chain` from its handler.
    private func answer(of first: ActorRef<PeerMessage>, calling chain: [ActorRef<PeerMessage>]) async throws -> CallOutcome {
        let answers = TestProbe<CallOutcome>(name: "answer")
        ask(first, into: answers) { .call(chain, gate: nil, $0) }
        return try await answers.next()
    }

    @Test func twoActorsAskingEachOtherFailAtOnceNamingTheCycle() async throws {
        let clock = ManualClock()
        let system = try ActorSystem.forTesting(clock: clock, askTimeout: .seconds(30))
        let start = clock.now
        let peers = try await spawnPeers(["a", "b"], in: system)
        let (a, b) = (peers[0], peers[1])
        // a asks b, whose handler asks a: that ask would close b → a → b.
        let outcome = try await answer(of: a, calling: [b, a])
        #expect(outcome == .failed(.deadlock(cycle: [b.path, a.path])))
        #expect(clock.now == start)
        #expect(system.askCyclesTotal == 1)
        // Both handlers moved on: each answers again.
        let answer1 = try await answer(of: a, calling: [b])
        #expect(answer1 == .reached("/root/b"))
        await system.shutdown()
    }

    @Test func threeActorsInACycleFailAtOnce() async throws {
        let clock = ManualClock()
        let system = try ActorSystem.forTesting(clock: clock, askTimeout: .seconds(30))
        let start = clock.now
        let peers = try await spawnPeers(["a", "b", "c"], in: system)
        let (a, b, c) = (peers[0], peers[1], peers[2])
        // a asks b, b asks c, c asks a: c's ask would close c → a → b → c.
        let outcome = try await answer(of: a, calling: [b, c, a])
        #expect(outcome == .failed(.deadlock(cycle: [c.path, a.path, b.path])))
        #expect(clock.now == start)
        #expect(system.askCyclesTotal == 1)
        await system.shutdown()
    }

    @Test func anActorAskingItselfFromItsHandlerFailsAtOnce() async throws {
        let system = try ActorSystem.forTesting(askTimeout: .seconds(30))
        let a = try await spawnPeers(["a"], in: system)[0]
        let answer2 = try await answer(of: a, calling: [a])
        #expect(answer2 == .failed(.deadlock(cycle: [a.path])))
        await system.shutdown()
    }

    @Test func aChainThatIsNotACycleIsUntouched() async throws {
        let system = try ActorSystem.forTesting(askTimeout: .seconds(30))
        let deadLetters = TestProbe.deadLetters(of: system)
        let peers = try await spawnPeers(["a", "b", "c"], in: system)
        let (a, b, c) = (peers[0], peers[1], peers[2])
        // a asks b, b asks c, c replies; twice, then the other way round.
        let answer3 = try await answer(of: a, calling: [b, c])
        #expect(answer3 == .reached("/root/c"))
        let answer4 = try await answer(of: a, calling: [b, c])
        #expect(answer4 == .reached("/root/c"))
        let answer5 = try await answer(of: c, calling: [b, a])
        #expect(answer5 == .reached("/root/a"))
        #expect(system.askCyclesTotal == 0)
        #expect(deadLetters.allEvents.isEmpty)
        await system.shutdown()
    }

    /// a asks b; b passes a's reply channel on to c and returns; then b asks a (in another
    /// handler). a waits on c, not on b: no cycle. Once c answers, both asks complete.
    @Test func forwardingTheReplyChannelIsNotADeadlock() async throws {
        let system = try ActorSystem.forTesting(askTimeout: .seconds(30))
        let events = TestProbe<PeerEvent>(name: "events")
        let peers = try await spawnPeers(["a", "b", "c"], in: system, events: events)
        let (a, b, c) = (peers[0], peers[1], peers[2])
        let answers = TestProbe<CallOutcome>(name: "answers")
        ask(a, into: answers) { .relay(to: b, request: { .forward(to: c, $0) }, $0) }
        let handedOver = [try await events.next(), try await events.next()]
        #expect(handedOver.contains(.forwarded("/root/b")))
        #expect(handedOver.contains(.holds("/root/c")))
        // b asks a, whose handler still waits (for c): b's request queues in a's mailbox.
        ask(b, into: answers) { .call([a], gate: nil, $0) }
        try await eventually("b's request waits in a's mailbox") { a.metrics.mailboxDepth == 1 }
        c.trySend(.release)
        let both = [try await answers.next(), try await answers.next()]
        #expect(both.contains(.reached("/root/c")), "a's ask, answered by c")
        #expect(both.contains(.reached("/root/a")), "b's ask, answered by a once its handler moved on")
        #expect(system.askCyclesTotal == 0)
        await system.shutdown()
    }

    /// The documented limit of the forwarding rule: b passes a's reply channel on and then,
    /// in the same handler, asks a. b has not finished a's request, so a still counts as
    /// waiting on b, and b's ask is reported as a deadlock (c's reply frees a all the same).
    @Test func askingTheAskerInTheHandlerThatForwardedIsReportedAsADeadlock() async throws {
        let system = try ActorSystem.forTesting(askTimeout: .seconds(30))
        let events = TestProbe<PeerEvent>(name: "events")
        let peers = try await spawnPeers(["a", "b", "c"], in: system, events: events)
        let (a, b, c) = (peers[0], peers[1], peers[2])
        let answers = TestProbe<CallOutcome>(name: "answers")
        ask(a, into: answers) { .relay(to: b, request: { .forwardThenCall(to: c, [a], $0) }, $0) }
        var seen: [PeerEvent] = []
        for _ in 0..<2 { seen.append(try await events.next()) }
        #expect(seen.contains(.askedAfterForwarding(.failed(.deadlock(cycle: [b.path, a.path])))))
        #expect(seen.contains(.holds("/root/c")))
        c.trySend(.release)
        let answerOfA = try await answers.next()
        #expect(answerOfA == .reached("/root/c"))
        await system.shutdown()
    }

    @Test func aRefusedAskIsADeadLetterAndCounted() async throws {
        let system = try ActorSystem.forTesting(askTimeout: .seconds(30))
        let deadLetters = TestProbe.deadLetters(of: system)
        let peers = try await spawnPeers(["a", "b"], in: system)
        let (a, b) = (peers[0], peers[1])
        let answer6 = try await answer(of: a, calling: [b, a])
        #expect(answer6 == .failed(.deadlock(cycle: [b.path, a.path])))
        // b's request to a was never delivered.
        let letter = try await deadLetters.next()
        #expect(letter.recipient == a.path)
        #expect(letter.reason == .askCycle)
        #expect(letter.message is PeerMessage)
        #expect(system.deadLetters.count(.askCycle) == 1)
        #expect(system.askCyclesTotal == 1)
        #expect(a.metrics.enqueued == 1, "only the test's own request entered a's mailbox")
        await system.shutdown()
    }

    /// 50 pairs whose two actors ask each other at the same moment (each held at a gate
    /// inside its handler until all are there): in each pair exactly one ask fails with a
    /// deadlock naming the pair, and the other completes once that handler moved on.
    @Test func pairsAskingEachOtherAtOnceFailExactlyOnceEach() async throws {
        let clock = ManualClock()
        let system = try ActorSystem.forTesting(clock: clock, askTimeout: .seconds(30))
        let start = clock.now
        let pairs = 50
        let gate = Latch()
        var firsts: [ActorRef<PeerMessage>] = []
        var seconds: [ActorRef<PeerMessage>] = []
        for index in 0..<pairs {
            let peers = try await spawnPeers(["a\(index)", "b\(index)"], in: system)
            firsts.append(peers[0])
            seconds.append(peers[1])
        }
        let answers = TestProbe<(Int, CallOutcome)>(name: "answers")
        for index in 0..<pairs {
            for (asker, asked) in [(firsts[index], seconds[index]), (seconds[index], firsts[index])] {
                Task {
                    let outcome = await Peer.outcome { () async throws(AskError) in try await asker.ask { .call([asked], gate: gate, $0) } }
                    answers.record((index, outcome))
                }
            }
        }
        try await gate.waitForArrivals(2 * pairs)
        gate.open()
        var outcomes = [[CallOutcome]](repeating: [], count: pairs)
        for _ in 0..<(2 * pairs) {
            let (index, outcome) = try await answers.next()
            outcomes[index].append(outcome)
        }
        for index in 0..<pairs {
            let (a, b) = (firsts[index].path, seconds[index].path)
            let deadlocks = outcomes[index].filter { $0 == .failed(.deadlock(cycle: [a, b])) || $0 == .failed(.deadlock(cycle: [b, a])) }
            let replies = outcomes[index].filter { $0 == .reached(a.description) || $0 == .reached(b.description) }
            #expect(deadlocks.count == 1 && replies.count == 1, "pair \(index): \(outcomes[index])")
        }
        #expect(system.askCyclesTotal == pairs)
        #expect(system.deadLetters.count(.askCycle) == pairs, "every cycle was caught before its request was delivered")
        #expect(clock.now == start)
        await system.shutdown()
    }

    /// An ask that ended leaves no edge behind: two actors that ask each other in turn,
    /// each once the other's ask has ended, never look like a cycle.
    @Test func endedAsksLeaveNoEdgeBehind() async throws {
        let system = try ActorSystem.forTesting(askTimeout: .seconds(30))
        let peers = try await spawnPeers(["a", "b"], in: system)
        let (a, b) = (peers[0], peers[1])
        for _ in 0..<3 {
            let answer7 = try await answer(of: a, calling: [b])
            #expect(answer7 == .reached("/root/b"))
            let answer8 = try await answer(of: b, calling: [a])
            #expect(answer8 == .reached("/root/a"))
        }
        #expect(system.askCyclesTotal == 0)
        await system.shutdown()
    }
}

/// Keyed actors take part too: their asks go through the key's lookup and redirect loop.
@Suite struct KeyedAskCycleTests {
    enum Message: Sendable {
        /// Ask the actor for the first key to call the rest; answer with this key at the end.
        case call([String], ReplyTo<CallOutcome>)
    }

    struct Node: Behavior {
        let key: String
        let peers: Locked<KeyedActors<String, Message>?>

        mutating func receive(_ message: Message, context: ActorContext<Message>) async throws {
            guard case .call(let chain, let reply) = message else { return }
            guard let next = chain.first, let keyed = peers.value else { return reply.reply(.reached(key)) }
            reply.reply(await Peer.outcome { () async throws(AskError) in try await keyed.ask(next) { .call(Array(chain.dropFirst()), $0) } })
        }
    }

    @Test func keyedActorsAskingEachOtherFailAtOnce() async throws {
        let clock = ManualClock()
        let system = try ActorSystem.forTesting(clock: clock, askTimeout: .seconds(30))
        let start = clock.now
        let peers = Locked<KeyedActors<String, Message>?>(nil)
        let keyed = try KeyedActors<String, Message>(options: KeyedOptions(maxLive: 8, idleTimeout: nil, mailbox: mailbox(16))) { key in
            Node(key: key, peers: peers)
        }
        peers.withLock { $0 = keyed }
        let place = try await system.start(keyed.childSpec("nodes"))
        let chain: CallOutcome = try await keyed.ask("x") { .call(["y", "z"], $0) }
        #expect(chain == .reached("z"))
        let cycle: CallOutcome = try await keyed.ask("x") { .call(["y", "x"], $0) }
        let (x, y) = (place.appending("x"), place.appending("y"))
        #expect(cycle == .failed(.deadlock(cycle: [y, x])))
        #expect(system.askCyclesTotal == 1)
        #expect(clock.now == start)
        await system.shutdown()
    }
}
