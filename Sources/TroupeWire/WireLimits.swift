/// The size limits of PROTOCOL.md that the request parser enforces, each inclusive.
///
/// Every limit bounds memory: the parser never buffers more than
/// ``maxIncompleteRequestBytes`` of a request it has not finished, plus whatever the caller
/// appended since its last call to ``RequestParser/next()``.
public struct WireLimits: Sendable, Hashable {
    /// The longest inline line, in bytes before its `\n` or `\r\n` (default 65,536).
    public var maxInlineLineBytes: Int
    /// The longest bulk string of a multibulk request (default 1 MiB).
    public var maxBulkBytes: Int
    /// The most arguments of one multibulk request (default 1,024).
    public var maxMultibulkCount: Int

    /// The longest `*<n>` or `$<len>` header line, in bytes before its `\r\n`, type byte
    /// included. Fixed: any header within the other limits takes at most 21 bytes
    /// (`*-9223372036854775808`), so a longer one can only be garbage.
    public static let maxHeaderLineBytes = 32

    /// The limits PROTOCOL.md gives as defaults.
    public static let protocolDefaults = WireLimits()

    /// Limits with PROTOCOL.md's defaults for whatever is not given. A value below 1 is
    /// taken as 1, so no configuration can make every request an error by accident.
    public init(maxInlineLineBytes: Int = 65_536, maxBulkBytes: Int = 1_048_576, maxMultibulkCount: Int = 1_024) {
        self.maxInlineLineBytes = max(1, maxInlineLineBytes)
        self.maxBulkBytes = max(1, maxBulkBytes)
        self.maxMultibulkCount = max(1, maxMultibulkCount)
    }

    /// The most bytes an unfinished request can occupy in the parser's buffer before the
    /// parser either completes it or fails: an inline line and its `\r`, or a multibulk
    /// header plus `maxMultibulkCount` bulk strings with their headers and terminators.
    ///
    /// With the defaults this is about 1 GiB (1,024 × 1 MiB), Redis's own bound; lower
    /// ``maxMultibulkCount`` or ``maxBulkBytes`` to lower it.
    public var maxIncompleteRequestBytes: Int {
        // Saturating arithmetic: limits near Int.max mean "no practical bound", not a trap.
        let header = Self.maxHeaderLineBytes + 2
        let (bulk, bulkOverflow) = maxBulkBytes.addingReportingOverflow(header + 2)
        let (bulks, bulksOverflow) = maxMultibulkCount.multipliedReportingOverflow(by: bulk)
        let (multibulk, multibulkOverflow) = bulks.addingReportingOverflow(header)
        let (line, lineOverflow) = maxInlineLineBytes.addingReportingOverflow(1)
        if bulkOverflow || bulksOverflow || multibulkOverflow || lineOverflow { return .max }
        return max(line, multibulk)
    }
}
