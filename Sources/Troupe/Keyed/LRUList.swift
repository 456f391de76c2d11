/// An intrusive doubly linked list in least-recently-used order: O(1) append, move to back
/// and removal. Nodes carry their own links; a node is in at most one list.
///
/// Links are strong both ways; `remove` unlinks both, so a node leaves no cycle behind.
///
/// Not ``LRUTable``: that is a value type keyed by hash, for state machines that must copy
/// and compare. The keyed registry already holds its entries as objects, and its LRU list
/// holds only some of them (running and unpinned, while a key's retiring entry is not):
/// intrusive links move an entry on every send without hashing its key again.
struct LRUList<Node: LRUNode> {
    private(set) var first: Node?
    private var last: Node?
    private(set) var count = 0

    var isEmpty: Bool { first == nil }

    /// Adds `node` as the most recently used.
    mutating func append(_ node: Node) {
        precondition(!node.isLinked, "node already in a list")
        node.isLinked = true
        node.previous = last
        node.next = nil
        if let last { last.next = node } else { first = node }
        last = node
        count += 1
    }

    mutating func remove(_ node: Node) {
        guard node.isLinked else { return }
        if let previous = node.previous { previous.next = node.next } else { first = node.next }
        if let next = node.next { next.previous = node.previous } else { last = node.previous }
        node.previous = nil
        node.next = nil
        node.isLinked = false
        count -= 1
    }

    /// Marks `node` as the most recently used.
    mutating func moveToBack(_ node: Node) {
        guard node.isLinked, node !== last else { return }
        remove(node)
        append(node)
    }

    /// Unlinks every node.
    mutating func removeAll() {
        while let node = first { remove(node) }
    }
}

/// A node of an ``LRUList`` (a final class).
protocol LRUNode: AnyObject {
    var previous: Self? { get set }
    var next: Self? { get set }
    var isLinked: Bool { get set }
}
