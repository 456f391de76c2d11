extension ProgressionTree {
    /// Checks every invariant of ``ProgressionTree`` on `nodes`, throwing the first fault in
    /// this order: node count; then node by node in tree order its name (duplicates), title,
    /// costs and prerequisite list; then unknown prerequisites; then the lack of a root; then
    /// cycles. (Without a root there is always a cycle; the missing root is the clearer report.)
    ///
    /// - Parameter lines: when the nodes came from a file, `lines[i]` is the line of `nodes[i]`,
    ///   put into each error.
    static func validate(_ nodes: [Node], lines: [Int]?) throws(ProgressionTreeError) {
        guard !nodes.isEmpty else { throw ProgressionTreeError(.noNodes) }
        guard nodes.count <= maxNodes else { throw ProgressionTreeError(.tooManyNodes(nodes.count)) }

        typealias Reason = ProgressionTreeError.Reason
        func fault(_ reason: Reason, at index: Int, _ field: ProgressionTreeError.Field?) -> ProgressionTreeError {
            ProgressionTreeError(reason, line: lines?[index], node: nodes[index].name, field: field)
        }

        var positions = [NodeName: Int](minimumCapacity: nodes.count)
        for (index, node) in nodes.enumerated() {
            if let first = positions[node.name] {
                throw fault(.duplicateName(node.name, firstLine: lines?[first]), at: index, .name)
            }
            positions[node.name] = index

            if let reason = titleFault(node.title) { throw fault(reason, at: index, .title) }

            guard !node.costs.isEmpty else { throw fault(.noLevels, at: index, .costs) }
            guard node.costs.count <= maxLevels else { throw fault(.tooManyLevels(node.costs.count), at: index, .costs) }
            for (offset, cost) in node.costs.enumerated() where !(1...maxCost).contains(cost) {
                throw fault(.costOutOfRange(level: offset + 1, cost: cost), at: index, .costs)
            }

            guard node.prerequisites.count <= maxPrerequisites else {
                throw fault(.tooManyPrerequisites(node.prerequisites.count), at: index, .requires)
            }
            var seen = Set<NodeName>()
            for prerequisite in node.prerequisites {
                guard prerequisite != node.name else { throw fault(.selfPrerequisite(prerequisite), at: index, .requires) }
                guard seen.insert(prerequisite).inserted else {
                    throw fault(.duplicatePrerequisite(prerequisite), at: index, .requires)
                }
            }
        }

        for (index, node) in nodes.enumerated() {
            if let unknown = node.prerequisites.first(where: { positions[$0] == nil }) {
                throw fault(.unknownPrerequisite(unknown), at: index, .requires)
            }
        }

        guard nodes.contains(where: { $0.prerequisites.isEmpty }) else { throw ProgressionTreeError(.noRoot) }

        if let cycle = firstCycle(nodes, positions: positions), let start = cycle.first {
            throw fault(.cycle(cycle.map { nodes[$0].name }), at: start, .requires)
        }
    }

    /// Why `title` is not a valid title; nil if it is.
    static func titleFault(_ title: String) -> ProgressionTreeError.Reason? {
        if title.isEmpty { return .emptyTitle }
        if title.utf8.count > maxTitleBytes { return .titleTooLong(bytes: title.utf8.count) }
        if title.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return .titleHasControlCharacter
        }
        return nil
    }

    /// The first cycle of prerequisite edges met by a depth-first search from each node in tree
    /// order, as node indices: each requires the next, the last requires the first. Nil if the
    /// graph is acyclic. Iterative, so a long chain of nodes cannot exhaust the stack; every
    /// prerequisite must already be known to exist.
    private static func firstCycle(_ nodes: [Node], positions: [NodeName: Int]) -> [Int]? {
        enum Mark { case unvisited, onPath, done }
        var marks = [Mark](repeating: .unvisited, count: nodes.count)
        for root in nodes.indices where marks[root] == .unvisited {
            // The current path: each node with the index of its next prerequisite to follow.
            var path: [(node: Int, next: Int)] = [(root, 0)]
            marks[root] = .onPath
            while let (current, next) = path.last {
                let prerequisites = nodes[current].prerequisites
                guard next < prerequisites.count else {
                    marks[current] = .done
                    path.removeLast()
                    continue
                }
                path[path.count - 1].next = next + 1
                guard let target = positions[prerequisites[next]] else { continue }
                switch marks[target] {
                case .done:
                    continue
                case .onPath:
                    let start = path.firstIndex { $0.node == target } ?? 0
                    return path[start...].map(\.node)
                case .unvisited:
                    marks[target] = .onPath
                    path.append((target, 0))
                }
            }
        }
        return nil
    }
}
