/// The TCP front's settings as the command line gives them: a plain value mirroring
/// `TroupeServer.ServerConfiguration` field for field (the wire limits flattened), so the
/// executable maps it in one function once that module is linked. Defaults are PROTOCOL.md's.
public struct ServerSettings: Sendable, Hashable {
    /// The address to listen on.
    public var host = "127.0.0.1"
    /// The TCP port; 0 is an ephemeral port.
    public var port = 7070
    /// Event-loop threads (owned by the server, never Swift's cooperative pool).
    public var loopThreads = 1
    /// Most connections at once; one more gets `-BUSY too many connections` and is closed.
    public var maxConnections = 10_000
    /// A connection that never logged in is closed after this long without a request.
    public var anonymousIdleTimeout: Duration = .seconds(60)
    /// Past this many bytes queued to one connection, pushes to it are dropped (counted).
    public var outboundSoftLimit = 4 << 20
    /// Past this many bytes queued to one connection, it is closed.
    public var outboundHardLimit = 8 << 20
    /// The longest inline request line, in bytes.
    public var maxInlineLineBytes = 65_536
    /// The longest bulk string of a multibulk request, in bytes.
    public var maxBulkBytes = 1 << 20
    /// The most arguments of one multibulk request.
    public var maxMultibulkCount = 1_024
    /// Requests of one connection in flight; beyond, the server stops reading it.
    public var maxPipelined = 1_024
    /// Bytes read from a socket at once.
    public var readChunk = 16 * 1_024
    /// Bytes written to one connection per loop turn.
    public var writeBudgetPerTurn = 64 * 1_024
    /// Connections accepted per loop turn.
    public var acceptsPerTurn = 64
    /// On SIGINT/SIGTERM, how long in-flight requests may take to finish before connections close.
    public var shutdownDeadline: Duration = .seconds(10)

    /// PROTOCOL.md's defaults on 127.0.0.1:7070.
    public init() {}

    /// `host:port`, with an IPv6 host in brackets: what the banner prints.
    public var address: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Checks what single flags cannot: the soft outbound limit must not exceed the hard one.
    public func validate() throws(CLIError) {
        guard outboundSoftLimit <= outboundHardLimit else {
            throw .invalidConfiguration(
                "--outbound-soft-limit (\(ValueParser.formatBytes(outboundSoftLimit))) is above --outbound-hard-limit (\(ValueParser.formatBytes(outboundHardLimit)))"
            )
        }
    }
}
