import Synchronization

/// A snapshot of the front's counters, for STATS/METRICS and tests.
public struct ServerMetrics: Sendable, Hashable {
    /// Connections open now.
    public var connectionsOpen: Int
    /// Connections accepted since start.
    public var connectionsAccepted: Int
    /// Connections refused with `-BUSY too many connections` (past `maxConnections`, or
    /// when the process had no file descriptor left for them).
    public var connectionsRefused: Int
    /// Accepts that failed because the process or system ran out of file descriptors.
    public var acceptsOutOfDescriptors: Int
    /// Connections closed for passing the outbound hard limit.
    public var connectionsOverLimit: Int
    /// Anonymous connections closed for idleness.
    public var connectionsIdleClosed: Int
    /// Requests parsed.
    public var requests: Int
    /// Requests answered `-BUSY` because a dispatcher mailbox was full.
    public var dispatcherBusy: Int
    /// Pushes dropped because a connection's output passed the soft limit.
    public var pushesDropped: Int
    /// Bytes the loops hold for clients' sockets now, over all connections, as of each
    /// connection's last loop turn (what slow readers cost in memory; each is bounded by
    /// the outbound limits).
    public var outputPendingBytes: Int
    /// Bytes read from clients.
    public var bytesIn: Int
    /// Bytes written to clients.
    public var bytesOut: Int
}

/// The live counters behind ``ServerMetrics``: relaxed atomics, written by loop threads and
/// push sinks, read by anyone.
final class ServerCounters: Sendable {
    let open = Atomic<Int>(0)
    let accepted = Atomic<Int>(0)
    let refused = Atomic<Int>(0)
    let acceptErrors = Atomic<Int>(0)
    let overLimit = Atomic<Int>(0)
    let idleClosed = Atomic<Int>(0)
    let requests = Atomic<Int>(0)
    let dispatcherBusy = Atomic<Int>(0)
    let pushesDropped = Atomic<Int>(0)
    let outputPending = Atomic<Int>(0)
    let bytesIn = Atomic<Int>(0)
    let bytesOut = Atomic<Int>(0)

    var snapshot: ServerMetrics {
        ServerMetrics(
            connectionsOpen: open.load(ordering: .relaxed), connectionsAccepted: accepted.load(ordering: .relaxed),
            connectionsRefused: refused.load(ordering: .relaxed),
            acceptsOutOfDescriptors: acceptErrors.load(ordering: .relaxed), connectionsOverLimit: overLimit.load(ordering: .relaxed),
            connectionsIdleClosed: idleClosed.load(ordering: .relaxed), requests: requests.load(ordering: .relaxed),
            dispatcherBusy: dispatcherBusy.load(ordering: .relaxed), pushesDropped: pushesDropped.load(ordering: .relaxed),
            outputPendingBytes: outputPending.load(ordering: .relaxed), bytesIn: bytesIn.load(ordering: .relaxed), bytesOut: bytesOut.load(ordering: .relaxed)
        )
    }

    /// The front's lines of `STATS` and `METRICS` (``Backend/addStatsSource(_:)``).
    var statsLines: [(String, Int)] {
        let metrics = snapshot
        return [
            ("front_connections_open", metrics.connectionsOpen), ("front_connections_accepted", metrics.connectionsAccepted),
            ("front_connections_refused", metrics.connectionsRefused), ("front_accepts_out_of_descriptors", metrics.acceptsOutOfDescriptors),
            ("front_connections_over_limit", metrics.connectionsOverLimit), ("front_connections_idle_closed", metrics.connectionsIdleClosed),
            ("front_requests", metrics.requests), ("front_dispatcher_busy", metrics.dispatcherBusy),
            ("front_pushes_dropped", metrics.pushesDropped), ("front_output_pending_bytes", metrics.outputPendingBytes),
            ("front_bytes_in", metrics.bytesIn), ("front_bytes_out", metrics.bytesOut),
        ]
    }
}
