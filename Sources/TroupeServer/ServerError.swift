/// Why the server could not start: each case carries the address and the system's words.
public enum ServerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A setting was invalid (the text names it).
    case invalidConfiguration(String)
    /// The host is not an IPv4 address (or `localhost`).
    case invalidHost(String)
    /// The address is taken by another process.
    case addressInUse(host: String, port: Int)
    /// A socket call failed: which one, on which address, and `strerror`'s text.
    case socket(call: String, address: String, reason: String)
    /// The backend's actor system refused the front's dispatchers (it is shutting down).
    case backendUnavailable(String)

    /// One line for a person.
    public var description: String {
        switch self {
        case .invalidConfiguration(let why): "invalid server configuration: \(why)"
        case .invalidHost(let host): "invalid host '\(host)': expected a numeric IPv4 or IPv6 address or localhost"
        case .addressInUse(let host, let port): "address \(host):\(port) is in use"
        case .socket(let call, let address, let reason): "\(call) on \(address) failed: \(reason)"
        case .backendUnavailable(let why): "the backend cannot take the front: \(why)"
        }
    }
}
