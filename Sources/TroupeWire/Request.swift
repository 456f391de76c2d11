/// One complete request, as the parser found it.
///
/// Arguments are slices that share the parser's read buffer: no argument is copied unless an
/// inline escape or a quote inside a word made its bytes differ from the wire's. Use the
/// slices' own indices (`startIndex`), not 0. Holding a request while the parser takes more
/// bytes is safe but costs one copy of the buffer (copy on write); drop it first when you can.
public struct Request: Sendable, Hashable {
    /// How the request was framed.
    public enum Form: Sendable, Hashable {
        /// A line of separated arguments (what `nc` sends).
        case inline
        /// A RESP array of bulk strings (what client libraries send).
        case multibulk
    }

    /// How the request was framed.
    public let form: Form
    /// The arguments, the command name first; never empty. Binary-safe.
    public let arguments: [ArraySlice<UInt8>]
    /// For an inline request, its raw line without the `\n` or `\r\n` that ended it, for rules
    /// that take text verbatim (PROTOCOL.md's inline `SAY` and `DM`); nil for multibulk.
    public let line: ArraySlice<UInt8>?

    /// A request from its parts (the parser's; also handy in tests).
    public init(form: Form, arguments: [ArraySlice<UInt8>], line: ArraySlice<UInt8>? = nil) {
        self.form = form
        self.arguments = arguments
        self.line = line
    }

    /// For an inline request, everything after the single separator that follows its first
    /// `count` arguments, verbatim: no quote or escape processing, spacing kept. Nil for a
    /// multibulk request or when the line ends right after those arguments.
    ///
    /// `SAY lobby  hi "you"` gives ` hi "you"` for `count` 2.
    public func inlineTail(afterArguments count: Int) -> ArraySlice<UInt8>? {
        guard let line else { return nil }
        return try? InlineTokenizer.tail(of: line, afterTokens: count)
    }
}
