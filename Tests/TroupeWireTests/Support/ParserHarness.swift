import TroupeWire

/// What a parser made of some input: the requests in order, then the error, if any.
struct Outcome: Equatable {
    var requests: [Request] = []
    var error: WireError?

    /// Each request's arguments as text (lossy for binary; for readable expectations).
    var texts: [[String]] { requests.map(\.texts) }
}

extension Request {
    /// The arguments as text.
    var texts: [String] { arguments.map { String(decoding: $0, as: UTF8.self) } }
}

/// The bytes of `text`.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Feeds `input` to `parser` in chunks of the given sizes (the rest in one chunk when they run
/// out; all at once when nil), draining `next()` after every chunk, and stops at the first
/// error. `check` runs after every append and every drain (for memory assertions).
func parse(
    _ input: [UInt8], chunks: [Int]? = nil, parser: RequestParser = RequestParser(),
    check: (RequestParser, _ lastChunk: Int) -> Void = { _, _ in }
) -> Outcome {
    var parser = parser
    var outcome = Outcome()
    var offset = 0
    var sizes = (chunks ?? [input.count])[...]
    while offset < input.count {
        let size = max(1, min(sizes.popFirst() ?? input.count, input.count - offset))
        parser.append(input[offset..<(offset + size)])
        offset += size
        check(parser, size)
        do {
            while let request = try parser.next() { outcome.requests.append(request) }
        } catch {
            outcome.error = error
            return outcome
        }
        check(parser, size)
    }
    return outcome
}

/// Parses `input` in one piece and returns the single error it must end with.
func parseError(of input: [UInt8], parser: RequestParser = RequestParser()) -> WireError? {
    parse(input, parser: parser).error
}
