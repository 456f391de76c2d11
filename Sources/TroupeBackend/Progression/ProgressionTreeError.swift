/// Why a ``ProgressionTree`` was refused: by ``ProgressionTree/init(nodes:)`` or by
/// ``ProgressionTree/parse(_:)``. ``description`` is the text for the operator, e.g.
/// `line 3, field costs: "abc" is not a positive integer`.
///
/// ``line`` is set when the tree came from a file and the fault has a line; ``node`` when the
/// fault belongs to one node; ``field`` when it belongs to one field of a node. Whole-tree
/// faults (no nodes, no root) have none of them.
public struct ProgressionTreeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A field of a node: a column of the file format of ``ProgressionTree/parse(_:)``.
    public enum Field: Sendable, Hashable, CustomStringConvertible {
        /// The node's name, first on its line.
        case name
        /// The quoted title, second on its line.
        case title
        /// `costs=`: the cost of each level.
        case costs
        /// `requires=`: the prerequisites.
        case requires
        /// A `key=value` whose key the format does not know; the key as written.
        case unknown(String)

        /// The field as written in the file: `name`, `title`, `costs`, `requires` or the unknown key.
        public var description: String {
            switch self {
            case .name: "name"
            case .title: "title"
            case .costs: "costs"
            case .requires: "requires"
            case .unknown(let key): key
            }
        }
    }

    /// What is wrong.
    public enum Reason: Sendable, Hashable {
        /// The tree (or file) has no nodes.
        case noNodes
        /// More nodes than ``ProgressionTree/maxNodes``; the count found.
        case tooManyNodes(Int)
        /// Every node has prerequisites, so nothing could ever be unlocked first.
        case noRoot
        /// A required field is absent.
        case missing
        /// A field appears twice on one line.
        case repeated
        /// `key=` with nothing after it.
        case emptyValue
        /// A `key=value` whose key is unknown (the key is in ``ProgressionTreeError/field``).
        case unknownField
        /// Text that is neither the name, the title nor a `key=value`; as written.
        case unexpected(String)
        /// The title is not in double quotes; what stood in its place.
        case titleNotQuoted(String)
        /// A title's opening `"` has no closing one on its line.
        case unterminatedQuote
        /// A `\` in a title followed by something other than `"` or `\`.
        case badEscape(String)
        /// Text after a title's closing quote with no space between; as written.
        case textAfterQuote(String)
        /// Not a node name (`[a-z0-9_-]{1,64}`, upper case lowered); as written.
        case badName(String)
        /// The name was taken by an earlier node, on the given line when the tree came from a file.
        case duplicateName(NodeName, firstLine: Int?)
        /// The title is empty.
        case emptyTitle
        /// The title has more than ``ProgressionTree/maxTitleBytes`` bytes of UTF-8; the count.
        case titleTooLong(bytes: Int)
        /// The title contains a control character (Unicode category Cc).
        case titleHasControlCharacter
        /// A cost as written that is not a whole number of at least 1.
        case notAPositiveInteger(String)
        /// A cost as written that is more than ``ProgressionTree/maxCost``.
        case costTooLarge(String)
        /// A cost given as a number that is out of `1...`\ ``ProgressionTree/maxCost``.
        case costOutOfRange(level: Int, cost: Int64)
        /// The node has no levels (`costs` is empty).
        case noLevels
        /// More levels than ``ProgressionTree/maxLevels``; the count found.
        case tooManyLevels(Int)
        /// More prerequisites than ``ProgressionTree/maxPrerequisites``; the count found.
        case tooManyPrerequisites(Int)
        /// A prerequisite that no node of the tree is called.
        case unknownPrerequisite(NodeName)
        /// The node lists itself as a prerequisite.
        case selfPrerequisite(NodeName)
        /// The node lists the same prerequisite twice.
        case duplicatePrerequisite(NodeName)
        /// The prerequisites go round: each node requires the next, the last requires the first.
        case cycle([NodeName])
    }

    /// What is wrong.
    public let reason: Reason
    /// The 1-based line of the file at fault, when the tree came from a file.
    public let line: Int?
    /// The node at fault, when there is one and its name is known.
    public let node: NodeName?
    /// The field at fault, when there is one.
    public let field: Field?

    /// An error for `reason` at the given place.
    public init(_ reason: Reason, line: Int? = nil, node: NodeName? = nil, field: Field? = nil) {
        self.reason = reason
        self.line = line
        self.node = node
        self.field = field
    }

    /// `line <n>, field <field>: <what>`; `node <name>` stands in for the line when the tree
    /// did not come from a file.
    public var description: String {
        var place: [String] = []
        if let line {
            place.append("line \(line)")
        } else if let node {
            place.append("node \(node)")
        }
        if let field { place.append("field \(field)") }
        return place.isEmpty ? explanation : "\(place.joined(separator: ", ")): \(explanation)"
    }

    /// The reason in words, without the place.
    public var explanation: String {
        switch reason {
        case .noNodes:
            return "the tree has no nodes"
        case .tooManyNodes(let count):
            return "\(count) nodes; a tree has at most \(ProgressionTree.maxNodes)"
        case .noRoot:
            return "every node has prerequisites; at least one node must have none"
        case .missing:
            switch field {
            case .title: return "missing: a quoted title must follow the name"
            case .costs: return "missing: every node needs costs=<cost of level 1>[,<cost of level 2>...]"
            default: return "missing"
            }
        case .repeated:
            return "given twice"
        case .emptyValue:
            return "nothing after ="
        case .unknownField:
            return "unknown field; expected costs= or requires="
        case .unexpected(let text):
            return "unexpected \(quoted(text)); expected costs=... or requires=..."
        case .titleNotQuoted(let text):
            return "expected a title in double quotes, found \(quoted(text))"
        case .unterminatedQuote:
            return "unterminated quote: the title has no closing \""
        case .badEscape(let text):
            return "unknown escape \(quoted(text)); only \\\" and \\\\ are allowed"
        case .textAfterQuote(let text):
            return "\(quoted(text)) follows the closing quote without a space"
        case .badName(let text):
            return "\(quoted(text)) is not a node name (letters a-z, digits, _ and -; 1 to \(NodeName.maxLength) characters)"
        case .duplicateName(let name, let firstLine):
            if let firstLine { return "\(quoted(name.value)) is already defined on line \(firstLine)" }
            return "\(quoted(name.value)) is defined twice"
        case .emptyTitle:
            return "the title is empty"
        case .titleTooLong(let bytes):
            return "the title has \(bytes) bytes; at most \(ProgressionTree.maxTitleBytes)"
        case .titleHasControlCharacter:
            return "the title contains a control character"
        case .notAPositiveInteger(let text):
            return "\(quoted(text)) is not a positive integer"
        case .costTooLarge(let text):
            return "\(quoted(text)) is more than the largest cost, \(ProgressionTree.maxCost)"
        case .costOutOfRange(let level, let cost):
            return "level \(level) costs \(cost); a cost is from 1 to \(ProgressionTree.maxCost)"
        case .noLevels:
            return "the node has no levels; it needs at least one cost"
        case .tooManyLevels(let count):
            return "\(count) levels; a node has at most \(ProgressionTree.maxLevels)"
        case .tooManyPrerequisites(let count):
            return "\(count) prerequisites; a node has at most \(ProgressionTree.maxPrerequisites)"
        case .unknownPrerequisite(let name):
            return "unknown prerequisite \(quoted(name.value)): no node has that name"
        case .selfPrerequisite(let name):
            return "\(quoted(name.value)) cannot require itself"
        case .duplicatePrerequisite(let name):
            return "prerequisite \(quoted(name.value)) is listed twice"
        case .cycle(let names):
            guard let first = names.first else { return "the prerequisites form a cycle" }
            let steps = zip(names, names.dropFirst() + [first]).map { "\($0) requires \($1)" }
            return "the prerequisites form a cycle: \(steps.joined(separator: ", "))"
        }
    }

    private func quoted(_ text: String) -> String { "\"\(text)\"" }
}
