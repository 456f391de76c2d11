/// Renders the supervision tree in the `TREE` format of the wire protocol.
enum TreeRenderer {
    /// One line per actor, depth first in start order, indented two spaces per depth:
    /// `<path> mailbox=<depth>/<capacity> restarts=<n> state=<state>`.
    static func render(_ root: CellBase) -> String {
        var lines: [String] = []
        visit(root, depth: 0, into: &lines)
        return lines.joined(separator: "\n")
    }

    static func line(for metrics: ActorMetrics, depth: Int) -> String {
        String(repeating: "  ", count: depth)
            + "\(metrics.path) mailbox=\(metrics.mailboxDepth)/\(metrics.mailboxCapacity)"
            + " restarts=\(metrics.restarts) state=\(metrics.state.rawValue)"
    }

    private static func visit(_ cell: CellBase, depth: Int, into lines: inout [String]) {
        lines.append(line(for: cell.metricsSnapshot(), depth: depth))
        for child in cell.childrenSnapshot {
            visit(child, depth: depth + 1, into: &lines)
        }
    }
}
