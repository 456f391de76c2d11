/// One word of a line of the progression tree file format (``ProgressionTree/parse(_:)``):
/// a run of text up to a space, tab or `#`, or a title in double quotes.
enum FileToken: Hashable {
    /// Unquoted text.
    case bare(String)
    /// The text of a quoted title, escapes resolved.
    case quoted(String)

    /// The token as it would be written in a file (quotes and escapes restored).
    var written: String {
        switch self {
        case .bare(let text):
            return text
        case .quoted(let text):
            // By scalar, as the parser reads: a `"` with a combining mark is still a quote.
            var escaped = String.UnicodeScalarView()
            escaped.append("\"")
            for scalar in text.unicodeScalars {
                if scalar == "\"" || scalar == "\\" { escaped.append("\\") }
                escaped.append(scalar)
            }
            escaped.append("\"")
            return String(escaped)
        }
    }

    /// The tokens of one line (without its line end), up to a `#` outside quotes.
    ///
    /// Works on Unicode scalars, not characters, so a combining mark after a `"` cannot hide
    /// the quote. A tokenizing fault names the field of the token's position: the first is
    /// the name, the second the title.
    static func tokens(of line: [Unicode.Scalar], line number: Int) throws(ProgressionTreeError) -> [FileToken] {
        func isSpace(_ scalar: Unicode.Scalar) -> Bool { scalar == " " || scalar == "\t" }
        var tokens: [FileToken] = []
        var index = 0
        while index < line.count {
            let scalar = line[index]
            if isSpace(scalar) {
                index += 1
                continue
            }
            if scalar == "#" { break }
            let field: ProgressionTreeError.Field? = tokens.isEmpty ? .name : tokens.count == 1 ? .title : nil
            guard scalar == "\"" else {
                var text = String.UnicodeScalarView()
                while index < line.count, !isSpace(line[index]), line[index] != "#" {
                    text.append(line[index])
                    index += 1
                }
                tokens.append(.bare(String(text)))
                continue
            }
            index += 1
            var text = String.UnicodeScalarView()
            var closed = false
            while index < line.count {
                let inner = line[index]
                index += 1
                if inner == "\"" {
                    closed = true
                    break
                }
                if inner == "\\" {
                    guard index < line.count, line[index] == "\"" || line[index] == "\\" else {
                        let after = index < line.count ? String(line[index]) : ""
                        throw ProgressionTreeError(.badEscape("\\" + after), line: number, field: field)
                    }
                    text.append(line[index])
                    index += 1
                    continue
                }
                text.append(inner)
            }
            guard closed else { throw ProgressionTreeError(.unterminatedQuote, line: number, field: field) }
            if index < line.count, !isSpace(line[index]), line[index] != "#" {
                var rest = String.UnicodeScalarView()
                while index < line.count, !isSpace(line[index]), line[index] != "#" {
                    rest.append(line[index])
                    index += 1
                }
                throw ProgressionTreeError(.textAfterQuote(String(rest)), line: number, field: field)
            }
            tokens.append(.quoted(String(text)))
        }
        return tokens
    }
}
