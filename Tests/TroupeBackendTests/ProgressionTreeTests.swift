import Testing
import TroupeBackend

@Suite struct ProgressionTreeTests {
    // MARK: - The standard tree

    @Test func standardTreeIsValidAndShapedForADemo() throws {
        let standard = ProgressionTree.standard
        // `standard` is built without validation: prove it keeps every invariant.
        #expect(try ProgressionTree(nodes: standard.nodes) == standard)
        #expect(standard.nodes.count >= 10)
        #expect(standard.nodes.contains { !$0.prerequisites.isEmpty })
        #expect(standard.nodes.contains { $0.costs.count > 1 })
        for node in standard.nodes {
            #expect((1...4).contains(node.costs.count), "\(node.name)")
            #expect(zip(node.costs, node.costs.dropFirst()).allSatisfy { $0 < $1 }, "costs of \(node.name) must increase")
        }
        let roots = standard.nodes.filter(\.prerequisites.isEmpty)
        #expect(!roots.isEmpty && roots.allSatisfy { $0.costs[0] <= 20 })
        // Several layers: some node's prerequisite has prerequisites of its own.
        let layered = standard.nodes.contains { node in
            node.prerequisites.contains { standard.node(named: $0)?.prerequisites.isEmpty == false }
        }
        #expect(layered)
        #expect(standard.initialTarget(unlocked: []) == NodeLevel(node: name("campfire"), level: 1))
    }

    @Test func standardTreeRoundTripsThroughItsFileText() throws {
        let standard = ProgressionTree.standard
        #expect(try ProgressionTree.parse(standard.fileText) == standard)
        #expect(try ProgressionTree.parse(ProgressionTree.standardFileText) == standard)
        // The shipped text is the rendering plus comments: rendering is stable and aligned.
        let shippedNodeLines = ProgressionTree.standardFileText.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(shippedNodeLines == standard.fileText.split(separator: "\n"))
    }

    @Test func fileTextRoundTripsEscapesForwardReferencesAndUnicode() throws {
        let tree = try ProgressionTree(nodes: [
            .init(name: name("late"), title: "Needs \"first\" # not a comment", prerequisites: [name("first")], costs: [7]),
            .init(name: name("first"), title: "Back\\slash and caf\u{E9} \"\u{301}", costs: [1, ProgressionTree.maxCost]),
        ])
        #expect(try ProgressionTree.parse(tree.fileText) == tree)
    }

    @Test func parseIgnoresCommentsAndBlankLinesAndAcceptsEitherFieldOrder() throws {
        let text = "# a comment\r\n\r\n  Campfire\t\"The Campfire\"  costs=10,40   # trailing comment\r\n"
            + "forge \"The Forge\" requires=campfire costs=20,50,120\n\n"
        let tree = try ProgressionTree.parse(text)
        #expect(tree.nodes == [
            .init(name: name("campfire"), title: "The Campfire", costs: [10, 40]),
            .init(name: name("forge"), title: "The Forge", prerequisites: [name("campfire")], costs: [20, 50, 120]),
        ])
    }

    // MARK: - Parse errors

    struct Fault: Sendable, CustomTestStringConvertible {
        let text: String
        let error: ProgressionTreeError
        let description: String
        var testDescription: String { description }
    }

    static let faults: [Fault] = [
        Fault(
            text: "# header\n\na \"A\" costs=10,abc",
            error: .init(.notAPositiveInteger("abc"), line: 3, node: name("a"), field: .costs),
            description: "line 3, field costs: \"abc\" is not a positive integer"),
        Fault(
            text: "a \"A\" costs=0",
            error: .init(.notAPositiveInteger("0"), line: 1, node: name("a"), field: .costs),
            description: "line 1, field costs: \"0\" is not a positive integer"),
        Fault(
            text: "a \"A\" costs=1000000000001",
            error: .init(.costTooLarge("1000000000001"), line: 1, node: name("a"), field: .costs),
            description: "line 1, field costs: \"1000000000001\" is more than the largest cost, 1000000000000"),
        Fault(
            text: "a \"A\" costs=",
            error: .init(.emptyValue, line: 1, node: name("a"), field: .costs),
            description: "line 1, field costs: nothing after ="),
        Fault(
            text: "b \"B\" costs=1\na \"A\" requires=b",
            error: .init(.missing, line: 2, node: name("a"), field: .costs),
            description: "line 2, field costs: missing: every node needs costs=<cost of level 1>[,<cost of level 2>...]"),
        Fault(
            text: "a \"A\" costs=1 costs=2",
            error: .init(.repeated, line: 1, node: name("a"), field: .costs),
            description: "line 1, field costs: given twice"),
        Fault(
            text: "a \"A\" costs=1 colour=red",
            error: .init(.unknownField, line: 1, node: name("a"), field: .unknown("colour")),
            description: "line 1, field colour: unknown field; expected costs= or requires="),
        Fault(
            text: "a \"A\" costs=1 extra",
            error: .init(.unexpected("extra"), line: 1, node: name("a")),
            description: "line 1: unexpected \"extra\"; expected costs=... or requires=..."),
        Fault(
            text: "a \"The A costs=1",
            error: .init(.unterminatedQuote, line: 1, field: .title),
            description: "line 1, field title: unterminated quote: the title has no closing \""),
        Fault(
            text: "a \"A\\n\" costs=1",
            error: .init(.badEscape("\\n"), line: 1, field: .title),
            description: "line 1, field title: unknown escape \"\\n\"; only \\\" and \\\\ are allowed"),
        Fault(
            text: "a costs=1",
            error: .init(.titleNotQuoted("costs=1"), line: 1, node: name("a"), field: .title),
            description: "line 1, field title: expected a title in double quotes, found \"costs=1\""),
        Fault(
            text: "a \"\" costs=1",
            error: .init(.emptyTitle, line: 1, node: name("a"), field: .title),
            description: "line 1, field title: the title is empty"),
        Fault(
            text: "a \"bell\u{7}\" costs=1",
            error: .init(.titleHasControlCharacter, line: 1, node: name("a"), field: .title),
            description: "line 1, field title: the title contains a control character"),
        Fault(
            text: "Bad! \"A\" costs=1",
            error: .init(.badName("Bad!"), line: 1, field: .name),
            description: "line 1, field name: \"Bad!\" is not a node name (letters a-z, digits, _ and -; 1 to 64 characters)"),
        Fault(
            text: "b \"B\" costs=1\na \"A\" costs=1 requires=b,x.y",
            error: .init(.badName("x.y"), line: 2, node: name("a"), field: .requires),
            description: "line 2, field requires: \"x.y\" is not a node name (letters a-z, digits, _ and -; 1 to 64 characters)"),
        Fault(
            text: "a \"A\" costs=1\nb \"B\" costs=1\n# again:\nA \"Again\" costs=2",
            error: .init(.duplicateName(name("a"), firstLine: 1), line: 4, node: name("a"), field: .name),
            description: "line 4, field name: \"a\" is already defined on line 1"),
        Fault(
            text: "a \"A\" costs=1\nb \"B\" costs=1 requires=a,quarry",
            error: .init(.unknownPrerequisite(name("quarry")), line: 2, node: name("b"), field: .requires),
            description: "line 2, field requires: unknown prerequisite \"quarry\": no node has that name"),
        Fault(
            text: "a \"A\" costs=1\nb \"B\" costs=1 requires=b",
            error: .init(.selfPrerequisite(name("b")), line: 2, node: name("b"), field: .requires),
            description: "line 2, field requires: \"b\" cannot require itself"),
        Fault(
            text: "a \"A\" costs=1\nb \"B\" costs=1 requires=a,a",
            error: .init(.duplicatePrerequisite(name("a")), line: 2, node: name("b"), field: .requires),
            description: "line 2, field requires: prerequisite \"a\" is listed twice"),
        Fault(
            text: "root \"Root\" costs=1\na \"A\" costs=1 requires=root,b\nb \"B\" costs=1 requires=a",
            error: .init(.cycle([name("a"), name("b")]), line: 2, node: name("a"), field: .requires),
            description: "line 2, field requires: the prerequisites form a cycle: a requires b, b requires a"),
        Fault(
            text: "a \"A\" costs=1 requires=b\nb \"B\" costs=1 requires=a",
            error: .init(.noRoot),
            description: "every node has prerequisites; at least one node must have none"),
        Fault(text: "", error: .init(.noNodes), description: "the tree has no nodes"),
        Fault(text: "# nothing but comments\n\n   \n", error: .init(.noNodes), description: "the tree has no nodes"),
    ]

    @Test(arguments: faults) func parseNamesTheLineAndFieldAtFault(_ fault: Fault) {
        #expect(throws: fault.error) { try ProgressionTree.parse(fault.text) }
        #expect(fault.error.description == fault.description)
    }

    @Test func initNamesTheNodeAtFault() {
        let a = name("a")
        #expect(throws: ProgressionTreeError(.noNodes)) { try ProgressionTree(nodes: []) }
        #expect(throws: ProgressionTreeError(.noLevels, node: a, field: .costs)) {
            try ProgressionTree(nodes: [.init(name: a, title: "A", costs: [])])
        }
        #expect(throws: ProgressionTreeError(.tooManyLevels(101), node: a, field: .costs)) {
            try ProgressionTree(nodes: [.init(name: a, title: "A", costs: Array(repeating: 1, count: 101))])
        }
        let tooLong = String(repeating: "\u{E9}", count: 101)  // 202 bytes of UTF-8
        #expect(throws: ProgressionTreeError(.titleTooLong(bytes: 202), node: a, field: .title)) {
            try ProgressionTree(nodes: [.init(name: a, title: tooLong, costs: [1])])
        }
        do {
            _ = try ProgressionTree(nodes: [.init(name: a, title: "A", costs: [5, 0])])
            Issue.record("a zero cost was accepted")
        } catch {
            #expect(error == ProgressionTreeError(.costOutOfRange(level: 2, cost: 0), node: a, field: .costs))
            #expect(error.description == "node a, field costs: level 2 costs 0; a cost is from 1 to 1000000000000")
        }
        let tooCostly = ProgressionTree.maxCost + 1
        #expect(throws: ProgressionTreeError(.costOutOfRange(level: 1, cost: tooCostly), node: a, field: .costs)) {
            try ProgressionTree(nodes: [.init(name: a, title: "A", costs: [tooCostly])])
        }
    }

    // MARK: - Queries

    /// root (2 levels) and side (1 level) are roots; mid needs root; both needs root and side;
    /// deep needs mid.
    static func small() throws -> ProgressionTree {
        try ProgressionTree.parse(
            """
        root  "Root"  costs=5,10
        side  "Side"  costs=3
        mid   "Mid"   costs=7      requires=root
        both  "Both"  costs=9,9,9  requires=root,side
        deep  "Deep"  costs=11     requires=mid
        """)
    }

    @Test func lookupsAndCosts() throws {
        let tree = try Self.small()
        #expect(tree.node(named: name("both"))?.prerequisites == [name("root"), name("side")])
        #expect(tree.node(named: name("nope")) == nil)
        #expect(tree.cost(of: level("root", 2)) == 10)
        #expect(tree.cost(of: level("root", 3)) == nil)
        #expect(tree.cost(of: level("root", 0)) == nil)
        #expect(tree.cost(of: level("nope", 1)) == nil)
    }

    @Test func nothingUnlockedMakesTheRootsCandidates() throws {
        let tree = try Self.small()
        #expect(tree.candidates(unlocked: []) == names("root", "side"))
        #expect(tree.nextLevel(of: name("root"), unlocked: []) == 1)
        #expect(tree.initialTarget(unlocked: []) == level("root", 1))
    }

    @Test func aRootsFirstLevelMakesItsDependentsCandidates() throws {
        let tree = try Self.small()
        let unlocked: Set = [level("root", 1)]
        #expect(tree.candidates(unlocked: unlocked) == names("root", "side", "mid"))
        #expect(tree.nextLevel(of: name("root"), unlocked: unlocked) == 2)
        #expect(tree.initialTarget(unlocked: unlocked) == level("root", 2))
    }

    @Test func aNodeWithTwoPrerequisitesNeedsBoth() throws {
        let tree = try Self.small()
        #expect(!tree.candidates(unlocked: [level("root", 1)]).contains(name("both")))
        #expect(!tree.candidates(unlocked: [level("side", 1)]).contains(name("both")))
        // A later level of a prerequisite does not stand in for its first.
        #expect(!tree.candidates(unlocked: [level("root", 2), level("side", 1)]).contains(name("both")))
        #expect(tree.candidates(unlocked: [level("root", 1), level("side", 1)]).contains(name("both")))
    }

    @Test func aNodeWithEveryLevelUnlockedIsNoCandidate() throws {
        let tree = try Self.small()
        let unlocked: Set = [level("root", 1), level("root", 2), level("side", 1), level("mid", 1)]
        #expect(tree.nextLevel(of: name("root"), unlocked: unlocked) == nil)
        #expect(tree.candidates(unlocked: unlocked) == names("both", "deep"))
        #expect(tree.initialTarget(unlocked: unlocked) == level("both", 1))
    }

    @Test func nextLevelIsTheLowestNotUnlockedAndStrayEntriesAreIgnored() throws {
        let tree = try Self.small()
        #expect(tree.nextLevel(of: name("both"), unlocked: [level("both", 2)]) == 1)
        #expect(tree.nextLevel(of: name("both"), unlocked: [level("both", 1), level("both", 3)]) == 2)
        // Unlocks of nodes or levels the tree no longer has change nothing.
        #expect(tree.nextLevel(of: name("side"), unlocked: [level("side", 2), level("gone", 1)]) == 1)
        #expect(tree.nextLevel(of: name("nope"), unlocked: []) == nil)
    }

    @Test func everythingUnlockedLeavesNoCandidateAndNoTarget() throws {
        let tree = try Self.small()
        let all = Set(tree.nodes.flatMap { node in node.costs.indices.map { NodeLevel(node: node.name, level: $0 + 1) } })
        #expect(tree.candidates(unlocked: all) == [])
        #expect(tree.initialTarget(unlocked: all) == nil)
    }

    @Test func initialTargetOfATreeWhoseFirstNodeHasPrerequisitesIsTheFirstRoot() throws {
        let tree = try ProgressionTree.parse(
            """
            late   "Late"   costs=4  requires=first
            first  "First"  costs=2,3
            other  "Other"  costs=1
            """)
        #expect(tree.initialTarget(unlocked: []) == level("first", 1))
        #expect(tree.candidates(unlocked: []) == names("first", "other"))
    }
}

private func name(_ text: String) -> NodeName {
    NodeName(unchecked: text)
}

private func names(_ texts: String...) -> [NodeName] {
    texts.map(name)
}

private func level(_ node: String, _ level: Int) -> NodeLevel {
    NodeLevel(node: name(node), level: level)
}
