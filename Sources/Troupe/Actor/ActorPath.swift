/// Where an actor sits in its system's supervision tree: `/root/services/unlock`.
///
/// Paths are how the `TREE` listing names actors, how fault injection and lookups address
/// them, and what dead letters report. Sibling names are unique, so a path names one actor.
public struct ActorPath: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The names from the root down, e.g. `["root", "services", "unlock"]`.
    public let components: [String]

    /// The path of the root supervisor: `/root`.
    public static let root = ActorPath(unchecked: ["root"])

    @usableFromInline
    init(unchecked components: [String]) {
        self.components = components
    }

    /// Parses `/root/a/b`. Returns nil for anything that is not a slash-separated list of
    /// valid names starting with a slash.
    public init?(_ string: String) {
        guard string.hasPrefix("/") else { return nil }
        let parts = string.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard !parts.isEmpty, parts.allSatisfy(ActorPath.isValidName) else { return nil }
        components = parts
    }

    /// The last component: this actor's name among its siblings.
    public var name: String { components.last ?? "" }

    /// How many levels below the root (the root is depth 0).
    public var depth: Int { components.count - 1 }

    /// The parent's path, or nil for a top-level path.
    public var parent: ActorPath? {
        components.count > 1 ? ActorPath(unchecked: Array(components.dropLast())) : nil
    }

    /// The path of a child named `name`.
    @inlinable
    public func appending(_ name: String) -> ActorPath {
        ActorPath(unchecked: components + [name])
    }

    public var description: String { "/" + components.joined(separator: "/") }

    public static func < (lhs: ActorPath, rhs: ActorPath) -> Bool {
        lhs.components.lexicographicallyPrecedes(rhs.components)
    }

    /// Names are 1-128 visible characters without `/`.
    public static func isValidName(_ name: String) -> Bool {
        let utf8 = name.utf8
        guard !utf8.isEmpty, utf8.count <= 128 else { return false }
        // Fast path, the usual case: visible ASCII only.
        if utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) { return !utf8.contains(UInt8(ascii: "/")) }
        return !name.unicodeScalars.contains { $0 == "/" || $0.properties.isWhitespace || $0.value < 0x20 }
    }

    @usableFromInline
    static func validate(_ name: String) throws(ConfigurationError) {
        if !isValidName(name) { throw .invalidName(name) }
    }

    /// A valid name made from any string (a keyed actor's key): characters a name may not
    /// hold are percent-encoded, and an over-long result is cut.
    static func escapedName(_ raw: String) -> String {
        var escaped = ""
        for scalar in raw.unicodeScalars {
            if scalar == "/" || scalar == "%" || scalar.properties.isWhitespace || scalar.value < 0x20 {
                for byte in String(scalar).utf8 {
                    escaped += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
                }
            } else {
                escaped.unicodeScalars.append(scalar)
            }
        }
        if escaped.isEmpty { return "%00" }
        if escaped.utf8.count > 128 { return String(decoding: escaped.utf8.prefix(128), as: UTF8.self) }
        return escaped
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
