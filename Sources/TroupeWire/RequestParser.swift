/// An incremental parser of inline and RESP multibulk requests, correct for any split of the
/// input (one byte at a time included).
///
/// Feed it the bytes of one connection with ``append(_:)`` and then call ``next()`` until it
/// returns nil (more bytes needed) or throws (the connection must be answered the error's
/// reply and closed). It is a value type without I/O: the connection's loop thread owns it.
///
/// ```
/// bytes ──append──▶ [ consumed │ current request … │ newly appended ]
///                               ▲ start                              ▲ buffer.count
///            next() ──▶ Request (slices of the buffer), start moves past it
/// ```
///
/// # Memory
/// The parser keeps only the request it has not finished. Before appending it drops the
/// consumed prefix, and it fails a request as soon as it is known to break a limit (an inline
/// line longer than the limit before its terminator arrives; a bulk length or count above
/// the limit as soon as its header arrives). So when the caller calls ``next()`` until nil
/// after every append, ``bufferedByteCount`` never exceeds
/// ``WireLimits/maxIncompleteRequestBytes`` plus the bytes of one append. After an error it
/// holds nothing and ignores further input. A buffer that grew past 64 KiB is released as
/// soon as it holds no unfinished request, so an idle connection costs no buffer.
///
/// # Thread safety
/// A plain value: use it from one thread at a time (the connection's loop thread).
public struct RequestParser: Sendable {
    /// The limits this parser enforces.
    public let limits: WireLimits
    private let verbatimRules: [VerbatimRule]

    /// The bytes received and not yet dropped. `buffer[start...]` is unparsed.
    private var buffer: [UInt8] = []
    /// Where the current (unfinished) request begins.
    private var start = 0
    private var state = State.idle

    /// What the parser knows about the request that begins at `start`. Offsets are relative to
    /// `start`, so dropping the consumed prefix moves nothing here.
    private enum State: Sendable {
        /// Between requests.
        case idle
        /// An inline line of which the first `scanned` bytes hold no `\n`.
        case inline(scanned: Int)
        /// A multibulk request of `count` arguments (the ranges of those read so far are in
        /// `bulkRanges`); `cursor` is where the next element starts (relative) and
        /// `bulkLength` is the length of the bulk whose header was read, if any.
        case multibulk(Multibulk)
        /// An error was thrown: the connection is done.
        case failed(WireError)
    }

    private struct Multibulk: Sendable {
        var count: Int
        var cursor: Int
        var bulkLength: Int?
    }

    /// The ranges (relative to `start`) of the bulks of the multibulk request being read. Kept
    /// outside ``State`` so its storage is reused from request to request (one allocation
    /// fewer per request), up to ``retainedBulkRanges`` of them.
    private var bulkRanges: [Range<Int>] = []
    static let retainedBulkRanges = 16

    /// A buffer with this capacity or less is kept for reuse; a larger one is released
    /// when it holds no unfinished request.
    static let retainedCapacity = 64 * 1024

    /// A parser enforcing `limits`.
    ///
    /// `verbatimTails` names commands whose inline form takes the rest of the line verbatim
    /// (PROTOCOL.md: "Inline SAY takes as text everything after the single separator that
    /// follows the room"): a command name (case-insensitive) → how many arguments, the name
    /// included, come before that text; `["say": 2, "dm": 2]` for Troupe. For such a line,
    /// quotes and escapes are processed only in those first arguments, so the text may hold
    /// any bytes, unbalanced quotes included. Counts below 1 are taken as 1.
    public init(limits: WireLimits = .protocolDefaults, verbatimTails: [String: Int] = [:]) {
        self.limits = limits
        self.verbatimRules = verbatimTails.map { name, count in
            VerbatimRule(name: Array(name.lowercased().utf8), arguments: max(1, count))
        }
    }

    /// How many bytes the parser holds: the request it has not finished, and anything consumed
    /// but not yet dropped (dropped by the next ``append(_:)``).
    public var bufferedByteCount: Int { buffer.count }

    /// The capacity of the parser's buffer, in bytes (what it costs in memory).
    public var bufferCapacity: Int { buffer.capacity }

    /// Whether the parser holds part of a request it has not finished (at end of input:
    /// a request cut short).
    public var hasPartialRequest: Bool {
        if case .failed = state { return false }
        return start < buffer.count
    }

    /// Takes more bytes of the connection's input. Call ``next()`` until it returns nil
    /// afterwards; ignored after the parser has failed.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        if case .failed = state { return }
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// The next complete request, or nil when more bytes are needed.
    ///
    /// Empty inline lines, `*0` and `*-1` are skipped without a request. Once this throws,
    /// the parser is failed: it throws the same error on every later call.
    public mutating func next() throws(WireError) -> Request? {
        do {
            return try parseNext()
        } catch {
            state = .failed(error)
            buffer = []
            bulkRanges = []
            start = 0
            throw error
        }
    }

    private mutating func parseNext() throws(WireError) -> Request? {
        while true {
            switch state {
            case .failed(let error):
                throw error
            case .idle:
                guard start < buffer.count else { return nil }
                let requestStart = start
                if buffer[start] != UInt8(ascii: "*") {
                    state = .inline(scanned: 0)
                } else if let multibulk = try multibulkHeader() {
                    state = .multibulk(multibulk)
                } else if start != requestStart {
                    continue  // `*0` or `*-1` was skipped: go on with what follows.
                } else {
                    return nil  // The header has not fully arrived.
                }
            case .inline(let scanned):
                guard let request = try inline(scanned: scanned) else {
                    if case .inline = state { return nil }
                    continue  // An empty line: go on with the next request.
                }
                return request
            case .multibulk(var multibulk):
                if let request = try advance(&multibulk) { return request }
                state = .multibulk(multibulk)
                return nil
            }
        }
    }

    // MARK: Inline

    /// Parses the inline line at `start`; nil with `state` still `.inline` when its end has not
    /// arrived, nil with `state` `.idle` for an empty line.
    private mutating func inline(scanned: Int) throws(WireError) -> Request? {
        let limit = limits.maxInlineLineBytes
        let from = start + scanned
        guard let newline = buffer[from...].firstIndex(of: UInt8(ascii: "\n")) else {
            let length = buffer.count - start
            // A `\r` right after `limit` bytes may still be the start of `\r\n`.
            // (Written as `length - 1` so that a limit of Int.max cannot overflow; length ≥ 1.)
            if length - 1 > limit || (length - 1 == limit && buffer[buffer.count - 1] != UInt8(ascii: "\r")) {
                throw .lineTooLong(limit: limit)
            }
            state = .inline(scanned: length)
            return nil
        }
        let lineEnd = newline > start && buffer[newline - 1] == UInt8(ascii: "\r") ? newline - 1 : newline
        guard lineEnd - start <= limit else { throw .lineTooLong(limit: limit) }
        let line = buffer[start..<lineEnd]
        let arguments = try InlineTokenizer.tokenize(line, verbatim: verbatimRules)
        start = newline + 1
        state = .idle
        guard !arguments.isEmpty else { return nil }
        return Request(form: .inline, arguments: arguments, line: line)
    }

    // MARK: Multibulk

    /// Parses the `*<n>` header at `start`: the request to read the bulks of; nil having
    /// consumed `*0`/`*-1` (`start` moved) or when the header has not fully arrived (`start`
    /// unchanged).
    private mutating func multibulkHeader() throws(WireError) -> Multibulk? {
        guard let (value, next) = try headerLine(at: start, tooLong: .multibulkCountLineTooLong) else {
            return nil
        }
        guard let count = value, count >= -1 else { throw .invalidMultibulkLength }
        guard count <= limits.maxMultibulkCount else { throw .tooManyArguments(limit: limits.maxMultibulkCount) }
        if count <= 0 {
            start = next
            return nil
        }
        bulkRanges.removeAll(keepingCapacity: bulkRanges.capacity <= Self.retainedBulkRanges)
        bulkRanges.reserveCapacity(Int(count))
        return Multibulk(count: Int(count), cursor: next - start, bulkLength: nil)
    }

    /// Reads bulks of the multibulk request at `start` as far as the buffer allows; the
    /// request once all its bulks are in.
    private mutating func advance(_ multibulk: inout Multibulk) throws(WireError) -> Request? {
        while bulkRanges.count < multibulk.count {
            let length: Int
            if let known = multibulk.bulkLength {
                length = known
            } else {
                let position = start + multibulk.cursor
                guard position < buffer.count else { return nil }
                guard buffer[position] == UInt8(ascii: "$") else { throw .expectedBulk(got: buffer[position]) }
                guard let (value, next) = try headerLine(at: position, tooLong: .bulkLengthLineTooLong) else { return nil }
                guard let value, value >= 0 else { throw .invalidBulkLength }
                guard value <= limits.maxBulkBytes else { throw .bulkTooLong(limit: limits.maxBulkBytes) }
                length = Int(value)
                multibulk.bulkLength = length
                multibulk.cursor = next - start
            }
            let dataStart = start + multibulk.cursor
            guard buffer.count - dataStart - 2 >= length else { return nil }
            guard buffer[dataStart + length] == UInt8(ascii: "\r"), buffer[dataStart + length + 1] == UInt8(ascii: "\n") else {
                throw .missingBulkTerminator
            }
            bulkRanges.append(multibulk.cursor..<(multibulk.cursor + length))
            multibulk.cursor += length + 2
            multibulk.bulkLength = nil
        }
        let base = start
        let arguments = bulkRanges.map { buffer[(base + $0.lowerBound)..<(base + $0.upperBound)] }
        bulkRanges.removeAll(keepingCapacity: bulkRanges.capacity <= Self.retainedBulkRanges)
        start += multibulk.cursor
        state = .idle
        return Request(form: .multibulk, arguments: arguments)
    }

    /// The number of the header line (`*` or `$`) at `position` and where the line after it
    /// starts; nil when its `\r\n` has not arrived. The value is nil when it is not a number.
    private func headerLine(at position: Int, tooLong: WireError) throws(WireError) -> (Int64?, Int)? {
        let maxLine = WireLimits.maxHeaderLineBytes
        let searchEnd = min(buffer.count, position + maxLine + 1)
        guard let cr = buffer[(position + 1)..<max(position + 1, searchEnd)].firstIndex(of: UInt8(ascii: "\r")) else {
            if buffer.count - position > maxLine { throw tooLong }
            return nil
        }
        guard cr + 1 < buffer.count else { return nil }
        guard buffer[cr + 1] == UInt8(ascii: "\n") else { return (nil, cr + 2) }
        return (Self.decimal(buffer[(position + 1)..<cr]), cr + 2)
    }

    /// A decimal integer as Redis's `string2ll` reads one: an optional `-`, digits, no leading
    /// zero (except `0` itself), no sign on zero, within Int64; nil for anything else.
    static func decimal(_ bytes: ArraySlice<UInt8>) -> Int64? {
        var digits = bytes
        let negative = digits.first == UInt8(ascii: "-")
        if negative { digits = digits.dropFirst() }
        guard let first = digits.first, digits.count <= 19 else { return nil }
        if first == UInt8(ascii: "0") {
            return digits.count == 1 && !negative ? 0 : nil
        }
        var magnitude: UInt64 = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            magnitude = magnitude * 10 + UInt64(byte - UInt8(ascii: "0"))  // ≤ 19 digits: no overflow
        }
        if negative {
            return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil
        }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    // MARK: Buffer

    /// Drops the consumed prefix, keeping the unfinished request (its offsets are relative to
    /// `start`, which becomes 0).
    private mutating func compact() {
        guard start > 0 else { return }
        if start >= buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= Self.retainedCapacity)
        } else {
            buffer.removeSubrange(0..<start)
        }
        start = 0
    }
}
