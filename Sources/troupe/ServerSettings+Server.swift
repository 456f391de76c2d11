import TroupeCLI
import TroupeServer
import TroupeWire

extension ServerSettings {
    /// The server's configuration from the command line's settings (one place, so the two
    /// stay in step).
    var serverConfiguration: ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.loopThreads = loopThreads
        configuration.maxConnections = maxConnections
        configuration.anonymousIdleTimeout = anonymousIdleTimeout
        configuration.outboundSoftLimit = outboundSoftLimit
        configuration.outboundHardLimit = outboundHardLimit
        configuration.wire = WireLimits(maxInlineLineBytes: maxInlineLineBytes, maxBulkBytes: maxBulkBytes, maxMultibulkCount: maxMultibulkCount)
        configuration.maxPipelined = maxPipelined
        configuration.readChunk = readChunk
        configuration.writeBudgetPerTurn = writeBudgetPerTurn
        configuration.acceptsPerTurn = acceptsPerTurn
        return configuration
    }
}
