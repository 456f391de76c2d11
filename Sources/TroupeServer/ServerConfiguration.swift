public import Troupe
public import TroupeWire

/// Every setting of the TCP front: where it listens, how many loop threads it runs, and each
/// bound of PROTOCOL.md's "Limits" table that belongs to a connection. Defaults are the
/// protocol's; every bound is inclusive.
public struct ServerConfiguration: Sendable {
    /// The address to listen on: numeric IPv4 or IPv6 (`0.0.0.0`, `::1`, `::`), or `localhost`
    /// for `127.0.0.1`.
    public var host: String = "127.0.0.1"
    /// The TCP port; 0 asks the system for an ephemeral one (see ``Server/port``).
    public var port: Int = 7070
    /// Event-loop threads, each with its own epoll set and connections.
    public var loopThreads: Int = 1
    /// Open connections at most; the one over gets `-BUSY too many connections` and is closed.
    public var maxConnections: Int = 10_000
    /// An anonymous connection idle this long since its last request is closed. Measured on
    /// the backend's clock (``Backend/system``'s, a manual one in tests), swept once a second
    /// of it.
    public var anonymousIdleTimeout: Duration = .seconds(60)
    /// Pending output of one connection past which pushes to it are dropped (counted).
    public var outboundSoftLimit: Int = 4 << 20
    /// Pending output of one connection past which it is closed (replies are never dropped).
    public var outboundHardLimit: Int = 8 << 20
    /// The codec's limits (line, bulk and argument count).
    public var wire: WireLimits = .protocolDefaults
    /// Requests of one connection parsed and not yet answered; at this many the loop stops
    /// reading that connection until one is answered.
    public var maxPipelined: Int = 1_024
    /// Bytes read from a connection at a time.
    public var readChunk: Int = 16 * 1024
    /// Bytes written to one connection per loop turn, so one fast pipeline cannot starve others.
    public var writeBudgetPerTurn: Int = 64 * 1024
    /// Connections accepted per loop turn.
    public var acceptsPerTurn: Int = 64
    /// Capacity of each loop's dispatcher mailbox (requests on their way to the backend); a
    /// full one answers `-BUSY` at once. Each connection has at most one request there.
    public var dispatcherMailboxCapacity: Int = 4_096

    /// PROTOCOL.md's defaults.
    public init() {}

    /// Checks every setting.
    ///
    /// - Throws: ``ConfigurationError`` naming the first bad setting and its value.
    public func validate() throws(ConfigurationError) {
        let positive: [(String, Int)] = [
            ("loopThreads", loopThreads), ("maxConnections", maxConnections), ("outboundSoftLimit", outboundSoftLimit),
            ("outboundHardLimit", outboundHardLimit), ("maxPipelined", maxPipelined), ("readChunk", readChunk),
            ("writeBudgetPerTurn", writeBudgetPerTurn), ("acceptsPerTurn", acceptsPerTurn),
            ("dispatcherMailboxCapacity", dispatcherMailboxCapacity),
            ("wire.maxInlineLineBytes", wire.maxInlineLineBytes), ("wire.maxBulkBytes", wire.maxBulkBytes),
            ("wire.maxMultibulkCount", wire.maxMultibulkCount),
        ]
        for (setting, value) in positive where value <= 0 {
            throw .notPositive(setting: setting, value: value)
        }
        guard (0...65_535).contains(port) else {
            throw .outOfRange(setting: "port", value: Double(port), range: 0...65_535)
        }
        guard outboundHardLimit >= outboundSoftLimit else {
            throw .outOfRange(setting: "outboundHardLimit", value: Double(outboundHardLimit), range: Double(outboundSoftLimit)...Double(Int.max))
        }
        guard anonymousIdleTimeout > .zero else {
            throw .invalidDuration(setting: "anonymousIdleTimeout", value: anonymousIdleTimeout)
        }
    }
}
