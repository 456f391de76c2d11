/// An object that can be kept in one ``IndexedList`` at a time: it carries its own position
/// there, so the list finds it without hashing.
///
/// `positionInList` belongs to the list that holds the object (and to whatever guards that
/// list): nothing else writes it.
protocol IndexedListElement: AnyObject {
    /// The object's index in the list that holds it; -1 while in none.
    var positionInList: Int { get set }
}

/// A set of objects, unordered, with O(1) insertion, removal and membership and no hashing:
/// each element remembers its index, and a removal moves the last element into the hole.
///
/// Why not a dictionary keyed by `ObjectIdentifier`: a parent with many children added and
/// removed them through three such tables per spawned child, and the hashing and resizing
/// were a tenth of the `runtime.spawn` benchmark. Callers that need an order (start order)
/// keep their own sequence numbers and sort on the rare paths that need it.
struct IndexedList<Element: IndexedListElement> {
    private(set) var elements: [Element] = []

    var isEmpty: Bool { elements.isEmpty }

    /// True if `element` is in this list.
    func contains(_ element: Element) -> Bool {
        let position = element.positionInList
        return position >= 0 && position < elements.count && elements[position] === element
    }

    /// Adds `element`, which must be in no list (a second copy could never be removed).
    mutating func insert(_ element: Element) {
        assert(element.positionInList == -1, "an element inserted into a list while it is in one")
        element.positionInList = elements.count
        elements.append(element)
    }

    /// Removes `element`; false if it was not in this list.
    @discardableResult
    mutating func remove(_ element: Element) -> Bool {
        guard contains(element) else { return false }
        let position = element.positionInList
        let last = elements.removeLast()
        if last !== element {
            elements[position] = last
            last.positionInList = position
        }
        element.positionInList = -1
        return true
    }

    /// Puts `fresh` (in no list) where `old` is; false (and nothing changed) if `old` is not
    /// in this list.
    mutating func replace(_ old: Element, with fresh: Element) -> Bool {
        guard contains(old) else { return false }
        assert(old !== fresh && fresh.positionInList == -1, "a replacement already in a list")
        let position = old.positionInList
        elements[position] = fresh
        fresh.positionInList = position
        old.positionInList = -1
        return true
    }

    /// Empties the list and returns what it held.
    mutating func removeAll() -> [Element] {
        let removed = elements
        for element in removed { element.positionInList = -1 }
        elements = []
        return removed
    }
}
