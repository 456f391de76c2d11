import Foundation

/// The client side of the idle-connection memory figure, run as a child process
/// (`TroupeBenchmarks idle-clients PORT COUNT`) so that its sockets are not counted in the
/// server's memory: opens `COUNT` TCP connections to 127.0.0.1:`PORT`, sends one inline
/// `PING` on each and reads its `+PONG` (so the server has accepted the connection and
/// touched its state), prints `ready COUNT`, then keeps the connections open and idle.
///
/// Connections are opened one at a time, each after the previous one's reply: the server's
/// accept queue never holds more than one, whatever its backlog. Blocking calls are fine
/// here: this process does nothing else.
///
/// Bounds: the parent stops it with SIGKILL; should the parent die first, it exits once
/// its parent changes (checked every second) and in any case after ``lifetime``. A failure
/// prints `error: ...` and exits 1.
enum IdleClients {
    /// The longest this process keeps its connections.
    static let lifetime: Duration = .seconds(600)

    static func run(port: Int, count: Int) -> Never {
        let parent = getppid()
        _ = ServerBenchmarks.raiseDescriptorLimit()
        var sockets: [Int32] = []
        sockets.reserveCapacity(count)
        for index in 0..<count {
            switch open(port: port) {
            case .success(let fd): sockets.append(fd)
            case .failure(let reason):
                emit("error: connection \(index + 1) of \(count): \(reason)")
                exit(1)
            }
        }
        emit("ready \(sockets.count)")
        let until = ContinuousClock.now + lifetime
        while getppid() == parent, ContinuousClock.now < until {
            sleep(1)
        }
        exit(0)
    }

    private struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// One connection that has had its PING answered, or why not.
    private static func open(port: Int) -> Result<Int32, Failure> {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return .failure(Failure(description: "socket: errno \(errno)")) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else {
            let reason = errno
            close(fd)
            return .failure(Failure(description: "connect: errno \(reason)"))
        }
        let request = Array("PING\r\n".utf8)
        guard send(fd, request, request.count, Int32(MSG_NOSIGNAL)) == request.count else {
            let reason = errno
            close(fd)
            return .failure(Failure(description: "send: errno \(reason)"))
        }
        // `+PONG\r\n` is 7 bytes; read until the line ends (at most 64 bytes: anything
        // longer is not the reply expected).
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64)
        while !reply.contains(UInt8(ascii: "\n")), reply.count < 64 {
            let read = recv(fd, &buffer, buffer.count - reply.count, 0)
            guard read > 0 else {
                let reason = read == 0 ? "closed by the server" : "errno \(errno)"
                close(fd)
                return .failure(Failure(description: "recv: \(reason)"))
            }
            reply += buffer[0..<read]
        }
        guard reply.starts(with: Array("+PONG".utf8)) else {
            close(fd)
            return .failure(Failure(description: "unexpected reply \(String(decoding: reply, as: UTF8.self).debugDescription)"))
        }
        return .success(fd)
    }
}
