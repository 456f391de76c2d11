/// The reply protocol a connection speaks: RESP2 until `HELLO 3`, RESP3 until `HELLO 2`.
public enum RESPVersion: Int, Sendable, Hashable {
    /// Arrays for maps and pushes, `$-1` for null.
    case resp2 = 2
    /// `%` maps, `>` pushes, `_` null.
    case resp3 = 3
}
