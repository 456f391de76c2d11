@testable import Troupe
import Testing

/// ``IndexedList``: membership by the element's own index, removal by moving the last
/// element into the hole, and every index kept true after each step.
@Suite struct IndexedListTests {
    final class Item: IndexedListElement {
        let name: String
        var positionInList = -1
        init(_ name: String) { self.name = name }
    }

    /// Every element's index points back at it: the invariant membership relies on.
    func expectConsistent(_ list: IndexedList<Item>, sourceLocation: SourceLocation = #_sourceLocation) {
        for (index, item) in list.elements.enumerated() {
            #expect(item.positionInList == index, "\(item.name) at \(index) says \(item.positionInList)", sourceLocation: sourceLocation)
        }
    }

    @Test func insertedElementsAreMembersOthersAreNot() {
        var list = IndexedList<Item>()
        let a = Item("a"), b = Item("b"), stranger = Item("stranger")
        list.insert(a)
        list.insert(b)
        #expect(list.contains(a) && list.contains(b))
        #expect(!list.contains(stranger))
        let removedStranger = list.remove(stranger)
        #expect(!removedStranger)
        #expect(list.elements.map(\.name) == ["a", "b"])
        expectConsistent(list)
    }

    /// Removing from the middle, the end and the front; a removed element is no member and a
    /// second removal of it changes nothing.
    @Test(arguments: [
        (["a", "b", "c", "d"], "b", ["a", "d", "c"]),
        (["a", "b", "c", "d"], "d", ["a", "b", "c"]),
        (["a", "b", "c", "d"], "a", ["d", "b", "c"]),
        (["a"], "a", []),
    ])
    func removalMovesTheLastIntoTheHole(names: [String], removed: String, remaining: [String]) {
        var list = IndexedList<Item>()
        let items = names.map(Item.init)
        for item in items { list.insert(item) }
        let target = items.first { $0.name == removed }!
        let removed = list.remove(target)
        #expect(removed)
        #expect(list.elements.map(\.name) == remaining)
        #expect(!list.contains(target) && target.positionInList == -1)
        let removedAgain = list.remove(target)
        #expect(!removedAgain)
        #expect(list.elements.map(\.name) == remaining)
        expectConsistent(list)
    }

    /// An element removed from one list whose old index now holds another element is not
    /// mistaken for a member, even by a list of the same length.
    @Test func aStaleIndexIsNotMembership() {
        var list = IndexedList<Item>()
        let a = Item("a"), b = Item("b")
        list.insert(a)
        list.insert(b)
        list.remove(a)
        let c = Item("c")
        list.insert(c)
        a.positionInList = 0
        #expect(!list.contains(a))
    }

    @Test func replacePutsTheNewElementInTheOldPlace() {
        var list = IndexedList<Item>()
        let a = Item("a"), b = Item("b"), fresh = Item("fresh"), stranger = Item("stranger")
        list.insert(a)
        list.insert(b)
        let replaced = list.replace(a, with: fresh)
        #expect(replaced)
        #expect(list.elements.map(\.name) == ["fresh", "b"])
        #expect(!list.contains(a) && list.contains(fresh))
        let replacedStranger = list.replace(stranger, with: Item("other"))
        #expect(!replacedStranger)
        #expect(list.elements.map(\.name) == ["fresh", "b"])
        expectConsistent(list)
    }

    @Test func removeAllHandsBackEverythingAndForgetsIt() {
        var list = IndexedList<Item>()
        let items = (0..<5).map { Item("\($0)") }
        for item in items { list.insert(item) }
        let removed = list.removeAll()
        #expect(removed.map(\.name) == ["0", "1", "2", "3", "4"])
        #expect(list.isEmpty)
        #expect(items.allSatisfy { !list.contains($0) && $0.positionInList == -1 })
    }

    /// Many inserts and removals in a mixed (seeded) order keep exactly the expected members.
    @Test func churnKeepsExactlyTheLiveMembers() {
        var list = IndexedList<Item>()
        var live: [Item] = []
        var made: [Item] = []
        var generator = SplitMix64(seed: 0x1D_E7ED)
        for step in 0..<2_000 {
            if live.isEmpty || Bool.random(using: &generator) {
                let item = Item("\(step)")
                made.append(item)
                list.insert(item)
                live.append(item)
            } else {
                let victim = live.remove(at: Int.random(in: 0..<live.count, using: &generator))
                let removed = list.remove(victim)
                #expect(removed)
            }
        }
        let liveIDs = Set(live.map(ObjectIdentifier.init))
        #expect(list.elements.count == live.count)
        #expect(made.allSatisfy { list.contains($0) == liveIDs.contains(ObjectIdentifier($0)) })
        expectConsistent(list)
    }
}
