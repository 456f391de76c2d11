import Testing
import Troupe
import TroupeCLI

/// The log format: one line per event, a level and key=value pairs.
@Suite struct LogLineTests {
    @Test func aLineHasTheLevelTheMessageAndThePairsInOrder() {
        #expect(LogLine.format(level: .info, message: "listening", fields: [("address", "127.0.0.1:7070"), ("threads", "1")])
            == "level=info msg=\"listening\" address=127.0.0.1:7070 threads=1")
        #expect(LogLine.format(level: .warning, message: "x") == "level=warning msg=\"x\"")
    }

    @Test func valuesThatCouldBreakTheLineAreQuotedAndEscaped() {
        let line = LogLine.format(level: .error, message: "say \"hi\"\nthen\\go", fields: [("a", "two words"), ("b", ""), ("c", "k=v"), ("d", "\u{1}")])
        #expect(line == #"level=error msg="say \"hi\"\nthen\\go" a="two words" b="" c="k=v" d="\u{1}""#)
        #expect(!line.contains("\n"))
    }
}
