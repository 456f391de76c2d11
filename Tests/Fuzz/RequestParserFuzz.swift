// libFuzzer entry point for the request parser (`make fuzz`): compiled together with
// Sources/TroupeWire into one binary with `-sanitize=fuzzer,address`; not a SwiftPM target.
//
// Each input is split into reads at the positions its first byte chooses and fed to one
// parser, which must return requests or a WireError (never trap), stay within its memory
// bound after every read, and give the same requests whatever the split.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequestParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let first = bytes.first else { return 0 }
    let input = Array(bytes.dropFirst())
    let limits = WireLimits(maxInlineLineBytes: 256, maxBulkBytes: 512, maxMultibulkCount: 16)
    let whole = parseAll([input[...]], limits: limits)
    let step = Int(first % 7) + 1
    let chunks = stride(from: 0, to: input.count, by: step).map { input[$0..<min(input.count, $0 + step)] }
    let split = parseAll(chunks, limits: limits)
    precondition(whole == split, "a split changed the outcome")
    return 0
}

private enum Outcome: Equatable {
    case request([[UInt8]])
    case error(WireError)
}

private func parseAll(_ chunks: [ArraySlice<UInt8>], limits: WireLimits) -> [Outcome] {
    var parser = RequestParser(limits: limits, verbatimTails: ["say": 2, "dm": 2])
    var outcomes: [Outcome] = []
    for chunk in chunks {
        parser.append(chunk)
        while true {
            do {
                guard let request = try parser.next() else { break }
                outcomes.append(.request(request.arguments.map(Array.init)))
            } catch {
                outcomes.append(.error(error))
                return outcomes
            }
        }
        precondition(parser.bufferedByteCount <= limits.maxIncompleteRequestBytes + chunk.count, "the parser outgrew its bound")
    }
    return outcomes
}
