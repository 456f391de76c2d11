import CEpoll
import Glibc

/// Opens the listening socket: IPv4 or IPv6, non-blocking, `SO_REUSEADDR`, backlog 4,096 (the
/// kernel caps it at `net.core.somaxconn`): a burst of connections waits in the kernel for
/// `accept` rather than having its handshakes dropped and retried seconds later.
enum Listener {
    static let backlog: Int32 = 4_096

    /// The socket and its bound port. `host` is an IPv4 or IPv6 address in numeric form
    /// (`127.0.0.1`, `0.0.0.0`, `::1`, `::`), or `localhost` for `127.0.0.1`. `::` also takes
    /// IPv4 connections where the system allows (Linux's default, `bindv6only=0`).
    static func open(host: String, port: Int) throws(ServerError) -> (fd: Int32, port: Int) {
        let numeric = host == "localhost" ? "127.0.0.1" : host
        var inet = in_addr()
        var inet6 = in6_addr()
        if inet_pton(AF_INET, numeric, &inet) == 1 {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr = inet
            return try open(family: AF_INET, address: address, host: host, port: port)
        }
        if inet_pton(AF_INET6, numeric, &inet6) == 1 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = in_port_t(UInt16(port).bigEndian)
            address.sin6_addr = inet6
            return try open(family: AF_INET6, address: address, host: host, port: port)
        }
        throw .invalidHost(host)
    }

    private static func open<Address>(family: Int32, address: Address, host: String, port: Int) throws(ServerError) -> (fd: Int32, port: Int) {
        let described = family == AF_INET6 ? "[\(host)]:\(port)" : "\(host):\(port)"
        let fd = cepoll_socket_stream(family)
        guard fd >= 0 else { throw .socket(call: "socket", address: described, reason: reason(errno)) }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = address
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<Address>.size)) }
        }
        guard bound == 0 else {
            let error = errno
            Glibc.close(fd)
            if error == EADDRINUSE { throw .addressInUse(host: host, port: port) }
            throw .socket(call: "bind", address: described, reason: reason(error))
        }
        guard listen(fd, backlog) == 0 else {
            let error = errno
            Glibc.close(fd)
            throw .socket(call: "listen", address: described, reason: reason(error))
        }
        // The port is at the same offset in sockaddr_in and sockaddr_in6.
        var actual = sockaddr_in6()
        var length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, Int(UInt16(bigEndian: actual.sin6_port)))
    }

    static func reason(_ error: Int32) -> String {
        String(cString: strerror(error))
    }
}
