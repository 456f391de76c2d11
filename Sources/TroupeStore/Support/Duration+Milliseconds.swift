extension Duration {
    /// Whole milliseconds, rounded down; negative durations count as zero. Database settings
    /// (busy timeout, statement timeout) take milliseconds.
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        let milliseconds = seconds.multipliedReportingOverflow(by: 1000)
        if milliseconds.overflow { return seconds > 0 ? .max : 0 }
        return max(0, milliseconds.partialValue &+ attoseconds / 1_000_000_000_000_000)
    }
}
