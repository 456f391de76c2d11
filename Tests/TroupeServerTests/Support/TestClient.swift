import Glibc

/// A reply as a test reads it off the wire.
enum TestReply: Hashable, CustomStringConvertible {
    case simple(String)
    case error(String)
    case integer(Int64)
    case bulk(String)
    case null
    case array([TestReply])
    case map([TestReply])
    case push([TestReply])

    var description: String {
        switch self {
        case .simple(let text): "+\(text)"
        case .error(let text): "-\(text)"
        case .integer(let value): ":\(value)"
        case .bulk(let text): "$\(text)"
        case .null: "null"
        case .array(let elements): "*\(elements)"
        case .map(let elements): "%\(elements)"
        case .push(let elements): ">\(elements)"
        }
    }
}

struct TestClientError: Error, CustomStringConvertible {
    let description: String
}

/// A plain blocking client socket. Every read is bounded by `SO_RCVTIMEO` (5 s), so a
/// broken server fails the test instead of hanging it.
final class TestClient {
    let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0

    /// Connects to `host` (a numeric IPv4 or IPv6 address) on `port`.
    init(port: Int, host: String = "127.0.0.1") throws {
        // The socket is a local until it is connected: a class whose initializer throws after
        // every stored property is set still runs `deinit`, which would close the descriptor a
        // second time, and by then the number may belong to another socket of the process.
        let ipv6 = host.contains(":")
        let socketFD = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { throw TestClientError(description: "socket failed") }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        _ = setsockopt(socketFD, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected: Int32
        if ipv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = in_port_t(UInt16(port).bigEndian)
            _ = inet_pton(AF_INET6, host, &address.sin6_addr)
            connected = Self.connect(socketFD, to: address)
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            _ = inet_pton(AF_INET, host, &address.sin_addr)
            connected = Self.connect(socketFD, to: address)
        }
        guard connected == 0 else {
            let error = errno
            Glibc.close(socketFD)
            throw TestClientError(description: "connect failed: errno \(error)")
        }
        fd = socketFD
    }

    /// `connect(2)` with a `sockaddr_in` or `sockaddr_in6`.
    private static func connect<Address>(_ fd: Int32, to address: Address) -> Int32 {
        withUnsafePointer(to: address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<Address>.size)) }
        }
    }

    deinit { Glibc.close(fd) }

    func send(_ text: String) throws {
        try send(Array(text.utf8))
    }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { throw TestClientError(description: "send failed: errno \(errno)") }
            offset += written
        }
    }

    /// Shuts down the sending side (what `nc -q1` does after its input).
    func shutdownWrite() {
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    /// Reads more bytes; false at end of stream.
    private func fill() throws -> Bool {
        if start > 0, start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count > 0 {
            buffer.append(contentsOf: chunk[0..<count])
            return true
        }
        if count == 0 { return false }
        throw TestClientError(description: "recv failed or timed out: errno \(errno)")
    }

    /// One line without its `\r\n`.
    func readLine() throws -> String {
        while true {
            if let end = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                var line = buffer[start..<end]
                if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
                start = end + 1
                return String(decoding: line, as: UTF8.self)
            }
            guard try fill() else { throw TestClientError(description: "end of stream before a line") }
        }
    }

    private func readBytes(_ count: Int) throws -> [UInt8] {
        while buffer.count - start < count {
            guard try fill() else { throw TestClientError(description: "end of stream inside a bulk") }
        }
        defer { start += count }
        return Array(buffer[start..<start + count])
    }

    /// One RESP2/RESP3 reply.
    func read() throws -> TestReply {
        let line = try readLine()
        guard let kind = line.first else { throw TestClientError(description: "empty line") }
        let rest = String(line.dropFirst())
        switch kind {
        case "+": return .simple(rest)
        case "-": return .error(rest)
        case ":": return .integer(Int64(rest) ?? .min)
        case "_": return .null
        case "$":
            guard let length = Int(rest), length >= 0 else { return .null }
            let bytes = try readBytes(length + 2)
            return .bulk(String(decoding: bytes.dropLast(2), as: UTF8.self))
        case "*", ">", "%":
            guard let count = Int(rest), count >= 0 else { return .null }
            let elements = try (0..<(kind == "%" ? count * 2 : count)).map { _ in try read() }
            return kind == "*" ? .array(elements) : kind == ">" ? .push(elements) : .map(elements)
        default:
            throw TestClientError(description: "unexpected reply line '\(line)'")
        }
    }

    /// Everything until the server closes the connection.
    func readToEnd() throws -> String {
        while try fill() {}
        defer { start = buffer.count }
        return String(decoding: buffer[start...], as: UTF8.self)
    }

    /// True when the server closed the connection and nothing more is buffered.
    func isClosedByServer() throws -> Bool {
        guard start == buffer.count else { return false }
        return try !fill()
    }

    /// Sends one multibulk request.
    func command(_ arguments: String...) throws -> TestReply {
        var request = "*\(arguments.count)\r\n"
        for argument in arguments { request += "$\(argument.utf8.count)\r\n\(argument)\r\n" }
        try send(request)
        return try read()
    }
}
