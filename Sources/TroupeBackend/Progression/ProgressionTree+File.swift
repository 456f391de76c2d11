/// The file format in which an operator supplies a progression tree: plain UTF-8 text, one
/// node a line, in the tree's order.
///
///     # name       title             costs (level 1, 2, ...)   prerequisites (optional)
///     campfire     "The Campfire"    costs=10,40,120
///     quarry       "The Quarry"      costs=30,90,250           requires=campfire
///     forge        "The Forge"       costs=80,200,500          requires=campfire,quarry
///
/// - Fields are separated by spaces or tabs. First the node's name (`[a-z0-9_-]{1,64}`;
///   upper case is lowered), then its title in double quotes (inside it, `\"` is a quote and
///   `\\` a backslash; nothing else is escaped), then `costs=` with the cost of each level
///   separated by commas (required), then `requires=` with the prerequisites' names separated
///   by commas (optional). `costs=` and `requires=` may come in either order, once each.
/// - `#` outside a title starts a comment that runs to the end of the line; blank lines and
///   comment lines are ignored. Lines end with `\n` or `\r\n`.
/// - Every rule of ``ProgressionTree`` applies; a node may require a node defined further down.
extension ProgressionTree {
    /// The tree written in `text` (see the format above); ``fileText`` writes it back.
    ///
    /// Throws the first fault found, reading line by line and then checking the whole tree;
    /// its ``ProgressionTreeError/line`` is the 1-based line at fault and its
    /// ``ProgressionTreeError/field`` the field, e.g. `line 3, field costs: "abc" is not a
    /// positive integer`. The caller bounds the size of `text`; the tree's own bounds
    /// (``maxNodes``, ``maxLevels``, ...) bound the result.
    public static func parse(_ text: String) throws(ProgressionTreeError) -> ProgressionTree {
        var nodes: [Node] = []
        var lines: [Int] = []
        for (offset, rawLine) in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = offset + 1
            var scalars = Array(rawLine)
            if scalars.last == "\r" { scalars.removeLast() }
            let tokens = try FileToken.tokens(of: scalars, line: number)
            guard !tokens.isEmpty else { continue }
            nodes.append(try node(from: tokens, line: number))
            lines.append(number)
        }
        try validate(nodes, lines: lines)
        return ProgressionTree(validated: nodes)
    }

    /// The tree in the format of ``parse(_:)``, one node a line in tree order, columns aligned;
    /// `parse(tree.fileText) == tree` for every tree.
    public var fileText: String {
        let names = nodes.map(\.name.value)
        let titles = nodes.map { FileToken.quoted($0.title).written }
        let costs = nodes.map { "costs=" + $0.costs.map(String.init).joined(separator: ",") }
        let nameWidth = names.map(\.count).max() ?? 0
        let titleWidth = titles.map(\.count).max() ?? 0
        let costsWidth = costs.map(\.count).max() ?? 0
        func padded(_ text: String, to width: Int) -> String {
            text + String(repeating: " ", count: max(0, width - text.count))
        }
        var text = ""
        for (index, node) in nodes.enumerated() {
            text += padded(names[index], to: nameWidth) + "  " + padded(titles[index], to: titleWidth) + "  "
            if node.prerequisites.isEmpty {
                text += costs[index]
            } else {
                text += padded(costs[index], to: costsWidth) + "  requires="
                text += node.prerequisites.map(\.value).joined(separator: ",")
            }
            text += "\n"
        }
        return text
    }

    /// The node on one non-blank line, checked only as far as one line can be: the whole-tree
    /// rules are ``validate(_:lines:)``'s.
    private static func node(from tokens: [FileToken], line: Int) throws(ProgressionTreeError) -> Node {
        guard case .bare(let nameText) = tokens[0], let name = NodeName(nameText) else {
            throw ProgressionTreeError(.badName(tokens[0].written), line: line, field: .name)
        }
        func fault(_ reason: ProgressionTreeError.Reason, _ field: ProgressionTreeError.Field?) -> ProgressionTreeError {
            ProgressionTreeError(reason, line: line, node: name, field: field)
        }

        guard tokens.count > 1 else { throw fault(.missing, .title) }
        guard case .quoted(let title) = tokens[1] else { throw fault(.titleNotQuoted(tokens[1].written), .title) }

        var costs: [Int64]?
        var prerequisites: [NodeName]?
        for token in tokens.dropFirst(2) {
            guard case .bare(let text) = token, let equals = text.firstIndex(of: "=") else {
                throw fault(.unexpected(token.written), nil)
            }
            let key = String(text[..<equals])
            let value = text[text.index(after: equals)...]
            switch key {
            case "costs":
                guard costs == nil else { throw fault(.repeated, .costs) }
                guard !value.isEmpty else { throw fault(.emptyValue, .costs) }
                let items = value.split(separator: ",", omittingEmptySubsequences: false)
                guard items.count <= maxLevels else { throw fault(.tooManyLevels(items.count), .costs) }
                var parsed: [Int64] = []
                for item in items {
                    let text = String(item)
                    guard let level = cost(from: text) else {
                        // Digits, not all zero, yet refused: above the largest cost (or even Int64).
                        let tooLarge = !text.isEmpty && text.utf8.allSatisfy(isDigit) && text.contains { $0 != "0" }
                        throw fault(tooLarge ? .costTooLarge(text) : .notAPositiveInteger(text), .costs)
                    }
                    parsed.append(level)
                }
                costs = parsed
            case "requires":
                guard prerequisites == nil else { throw fault(.repeated, .requires) }
                guard !value.isEmpty else { throw fault(.emptyValue, .requires) }
                let items = value.split(separator: ",", omittingEmptySubsequences: false)
                guard items.count <= maxPrerequisites else { throw fault(.tooManyPrerequisites(items.count), .requires) }
                var parsed: [NodeName] = []
                for item in items {
                    guard let prerequisite = NodeName(String(item)) else { throw fault(.badName(String(item)), .requires) }
                    parsed.append(prerequisite)
                }
                prerequisites = parsed
            default:
                throw fault(.unknownField, .unknown(key))
            }
        }
        guard let costs else { throw fault(.missing, .costs) }
        return Node(name: name, title: title, prerequisites: prerequisites ?? [], costs: costs)
    }

    /// A cost as written: decimal digits only, from 1 to ``maxCost``; nil if it is anything else.
    private static func cost(from text: String) -> Int64? {
        guard !text.isEmpty, text.utf8.allSatisfy(isDigit), let cost = Int64(text) else { return nil }
        return (1...maxCost).contains(cost) ? cost : nil
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
}
