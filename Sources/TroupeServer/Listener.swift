import CEpoll
import Glibc

/// Opens the listening socket: IPv4, non-blocking, `SO_REUSEADDR`, backlog 4,096 (the
/// kernel caps it at `net.core.somaxconn`): a burst of connections waits in the kernel for
/// `accept` rather than having its handshakes dropped and retried seconds later.
enum Listener {
    static let backlog: Int32 = 4_096

    /// The socket and its bound port.
    static func open(host: String, port: Int) throws(ServerError) -> (fd: Int32, port: Int) {
        let address = "\(host):\(port)"
        var inet = in_addr()
        let numeric = host == "localhost" ? "127.0.0.1" : host
        guard inet_pton(AF_INET, numeric, &inet) == 1 else { throw .invalidHost(host) }
        let fd = cepoll_socket_stream(AF_INET)
        guard fd >= 0 else { throw .socket(call: "socket", address: address, reason: reason(errno)) }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = in_port_t(UInt16(port).bigEndian)
        socketAddress.sin_addr = inet
        let bound = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            let error = errno
            Glibc.close(fd)
            if error == EADDRINUSE { throw .addressInUse(host: host, port: port) }
            throw .socket(call: "bind", address: address, reason: reason(error))
        }
        guard listen(fd, backlog) == 0 else {
            let error = errno
            Glibc.close(fd)
            throw .socket(call: "listen", address: address, reason: reason(error))
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, Int(UInt16(bigEndian: actual.sin_port)))
    }

    static func reason(_ error: Int32) -> String {
        String(cString: strerror(error))
    }
}
