import Testing
import Troupe
import TroupeWire

/// The parser under seeded random input: any split gives the same requests; corrupted input
/// gives requests or an error, never a trap, and never more memory than the limits allow.
/// A failure names its seed; rerun with that seed to reproduce it.
@Suite struct RandomizedParserTests {
    @Test func anySplitOfValidInputGivesTheSameRequests() {
        for seed in UInt64(0)..<150 {
            var random = SplitMix64(seed: seed)
            let corpus = RequestCorpus(count: 40, limits: .protocolDefaults, random: &random)
            let oneShot = parse(corpus.input)
            #expect(oneShot.error == nil, "seed \(seed)")
            #expect(oneShot.requests.map { $0.arguments.map(Array.init) } == corpus.expected, "seed \(seed)")
            for _ in 0..<4 {
                let split = parse(corpus.input, chunks: randomChunks(total: corpus.input.count, random: &random))
                #expect(split == oneShot, "seed \(seed)")
            }
        }
    }

    @Test func oneByteAtATimeGivesTheSameRequests() {
        for seed in UInt64(1_000)..<1_030 {
            var random = SplitMix64(seed: seed)
            let corpus = RequestCorpus(count: 30, limits: .protocolDefaults, random: &random)
            let oneShot = parse(corpus.input)
            let bytewise = parse(corpus.input, chunks: Array(repeating: 1, count: corpus.input.count))
            #expect(bytewise == oneShot, "seed \(seed)")
            #expect(bytewise.requests.map { $0.arguments.map(Array.init) } == corpus.expected, "seed \(seed)")
        }
    }

    @Test func corruptedInputGivesRequestsOrAnErrorWithinTheMemoryBound() {
        let limits = WireLimits(maxInlineLineBytes: 64, maxBulkBytes: 32, maxMultibulkCount: 8)
        let bound = limits.maxIncompleteRequestBytes
        let specials = Array("\r\n*$\"\\ \t-0123456789x".utf8)
        var errors = 0
        for seed in UInt64(2_000)..<2_400 {
            var random = SplitMix64(seed: seed)
            var input = RequestCorpus(count: 20, limits: limits, random: &random).input
            for _ in 0..<Int.random(in: 1...8, using: &random) {
                let index = Int.random(in: 0..<input.count, using: &random)
                let byte = Bool.random(using: &random) ? specials.randomElement(using: &random)! : UInt8.random(in: 0...255, using: &random)
                switch Int.random(in: 0..<4, using: &random) {
                case 0: input[index] = byte
                case 1: input.insert(byte, at: index)
                case 2: input.remove(at: index)
                default: input.insert(contentsOf: bytes(String(Int.random(in: -2...5_000, using: &random))), at: index)
                }
                if input.isEmpty { input = [byte] }
            }
            let parser = RequestParser(limits: limits)
            let oneShot = parse(input, parser: parser)
            var largest = 0
            let split = parse(input, chunks: randomChunks(total: input.count, random: &random), parser: parser) { parser, chunk in
                #expect(parser.bufferedByteCount <= bound + chunk, "seed \(seed)")
                largest = max(largest, parser.bufferedByteCount - chunk)
            }
            #expect(largest <= bound, "seed \(seed)")
            // Errors, like requests, do not depend on how the input was split.
            #expect(split == oneShot, "seed \(seed)")
            for request in oneShot.requests {
                #expect(!request.arguments.isEmpty, "seed \(seed)")
                switch request.form {
                case .inline: #expect((request.line?.count ?? .max) <= limits.maxInlineLineBytes, "seed \(seed)")
                case .multibulk:
                    #expect(request.arguments.count <= limits.maxMultibulkCount, "seed \(seed)")
                    #expect(request.arguments.allSatisfy { $0.count <= limits.maxBulkBytes }, "seed \(seed)")
                }
            }
            if oneShot.error != nil { errors += 1 }
        }
        // The mutations reach the error paths, not just the happy ones.
        #expect(errors > 40)
    }
}
