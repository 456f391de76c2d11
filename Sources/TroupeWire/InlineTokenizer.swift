/// Splits an inline line into arguments as Redis's `sdssplitargs` does, with PROTOCOL.md's
/// separators (space and tab) and double quotes only.
///
/// Inside double quotes: `\xHH` (two hex digits) is that byte; `\n` `\r` `\t` `\b` `\a` are
/// the control characters; a backslash before any other byte is that byte (so `\"` and
/// `\\`). A quote may open in the middle of a word (`a"b c"` is `ab c`) but its closing quote
/// must be followed by a separator or the end of the line. Anything else is
/// ``WireError/unbalancedQuotes``.
///
/// Tokens are slices of the line (so of the read buffer) whenever their bytes appear
/// contiguously on the wire; only tokens with escapes or mid-word quotes are copied.
enum InlineTokenizer {
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")

    static func isSeparator(_ byte: UInt8) -> Bool {
        byte == space || byte == tab
    }

    /// The next token at or after `index`, leaving `index` just past it (on a separator or at
    /// the end); nil when only separators remain.
    static func nextToken(in line: ArraySlice<UInt8>, from index: inout Int) throws(WireError) -> ArraySlice<UInt8>? {
        let end = line.endIndex
        var p = index
        while p < end && isSeparator(line[p]) { p += 1 }
        guard p < end else {
            index = p
            return nil
        }
        var token = TokenBuilder(start: p)
        var inQuotes = false
        scanning: while true {
            if inQuotes {
                guard p < end else { throw .unbalancedQuotes }
                let byte = line[p]
                if byte == backslash && p + 3 < end && line[p + 1] == UInt8(ascii: "x"),
                    let high = hexValue(line[p + 2]), let low = hexValue(line[p + 3])
                {
                    token.appendDecoded(high << 4 | low, line: line)
                    p += 4
                } else if byte == backslash && p + 1 < end {
                    token.appendDecoded(unescaped(line[p + 1]), line: line)
                    p += 2
                } else if byte == quote {
                    // Redis: "closing quote must be followed by a space or nothing at all".
                    if p + 1 < end && !isSeparator(line[p + 1]) { throw .unbalancedQuotes }
                    p += 1
                    break scanning
                } else {
                    token.appendRaw(at: p, line: line)
                    p += 1
                }
            } else {
                guard p < end, !isSeparator(line[p]) else { break scanning }
                if line[p] == quote {
                    inQuotes = true
                    token.skip(at: p)
                } else {
                    token.appendRaw(at: p, line: line)
                }
                p += 1
            }
        }
        index = p
        return token.result(line: line)
    }

    /// All the tokens of `line`; when `verbatim` gives a count for the (case-insensitive)
    /// first token, only that many tokens are split and the rest of the line after the single
    /// separator that follows them is one last argument, verbatim.
    static func tokenize(_ line: ArraySlice<UInt8>, verbatim: [VerbatimRule]) throws(WireError) -> [ArraySlice<UInt8>] {
        var arguments: [ArraySlice<UInt8>] = []
        var index = line.startIndex
        while let token = try nextToken(in: line, from: &index) {
            arguments.append(token)
            if arguments.count == 1, let rule = verbatim.first(where: { $0.matches(token) }) {
                while arguments.count < rule.arguments, let next = try nextToken(in: line, from: &index) {
                    arguments.append(next)
                }
                // `index` sits on the separator that ended the last token, if any is left.
                if arguments.count == rule.arguments && index < line.endIndex {
                    arguments.append(line[(index + 1)...])
                }
                break
            }
        }
        return arguments
    }

    /// The verbatim rest of `line` after `count` tokens and the single separator after them.
    static func tail(of line: ArraySlice<UInt8>, afterTokens count: Int) throws(WireError) -> ArraySlice<UInt8>? {
        var index = line.startIndex
        for _ in 0..<max(0, count) {
            guard try nextToken(in: line, from: &index) != nil else { return nil }
        }
        guard count > 0 else { return line }
        return index < line.endIndex ? line[(index + 1)...] : nil
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func unescaped(_ byte: UInt8) -> UInt8 {
        switch byte {
        case UInt8(ascii: "n"): UInt8(ascii: "\n")
        case UInt8(ascii: "r"): UInt8(ascii: "\r")
        case UInt8(ascii: "t"): UInt8(ascii: "\t")
        case UInt8(ascii: "b"): 0x08
        case UInt8(ascii: "a"): 0x07
        default: byte
        }
    }
}

/// A command whose inline form takes the rest of its line verbatim as its last argument.
struct VerbatimRule: Sendable, Hashable {
    /// The command name, lower-case ASCII.
    let name: [UInt8]
    /// How many arguments, the name included, come before the verbatim rest.
    let arguments: Int

    func matches(_ token: ArraySlice<UInt8>) -> Bool {
        token.count == name.count && zip(token, name).allSatisfy { lowercased($0) == $1 }
    }

    private func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
    }
}

/// The bytes of one token: a contiguous run of the line while the decoded bytes match the
/// wire's, a copy from the first escape or skipped quote that breaks the run.
private struct TokenBuilder {
    /// Invariant while `copy` is nil: the token so far is exactly `line[runStart..<runEnd]`.
    var runStart: Int
    var runEnd: Int
    var copy: [UInt8]?

    init(start: Int) {
        runStart = start
        runEnd = start
    }

    /// A wire byte that is part of the token as is.
    mutating func appendRaw(at index: Int, line: ArraySlice<UInt8>) {
        if copy != nil {
            copy!.append(line[index])
        } else if runEnd == index {
            runEnd = index + 1
        } else if runStart == runEnd {
            runStart = index
            runEnd = index + 1
        } else {
            breakRun(line: line)
            copy!.append(line[index])
        }
    }

    /// A wire byte that is not part of the token (an opening quote).
    mutating func skip(at index: Int) {
        // Nothing to do: the next raw byte will not be adjacent to the run, which
        // `appendRaw` notices. An empty run can simply move.
        if copy == nil && runStart == runEnd {
            runStart = index + 1
            runEnd = index + 1
        }
    }

    /// A byte decoded from an escape.
    mutating func appendDecoded(_ byte: UInt8, line: ArraySlice<UInt8>) {
        if copy == nil { breakRun(line: line) }
        copy!.append(byte)
    }

    private mutating func breakRun(line: ArraySlice<UInt8>) {
        copy = Array(line[runStart..<runEnd])
    }

    func result(line: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        if let copy { return copy[...] }
        return line[runStart..<runEnd]
    }
}
