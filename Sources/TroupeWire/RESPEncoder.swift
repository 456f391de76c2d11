/// Writes RESP2 or RESP3 onto the end of a caller-owned byte buffer.
///
/// Every method appends in place: nothing is allocated per element, numbers are formatted
/// straight into the buffer, and a connection's output buffer can be reused across turns.
/// Headers (``arrayHeader(count:into:)``, ``mapHeader(count:into:)``,
/// ``pushHeader(count:into:)``) let a caller stream an aggregate without building a
/// ``WireValue`` first. Simple strings and error texts never break framing: `\r` and `\n`
/// in them are written as spaces.
///
/// # Thread safety
/// A plain value holding only the version; use it from any thread.
public struct RESPEncoder: Sendable, Hashable {
    /// The protocol written.
    public var version: RESPVersion

    /// An encoder for `version`.
    public init(version: RESPVersion = .resp2) {
        self.version = version
    }

    private static let crlf: [UInt8] = [UInt8(ascii: "\r"), UInt8(ascii: "\n")]

    /// `+text\r\n`.
    public func simple(_ text: String, into buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "+"))
        Self.appendLine(text, to: &buffer)
        buffer.append(contentsOf: Self.crlf)
    }

    /// `-CODE message\r\n` (just `-CODE` when the message is empty).
    public func error(code: String, message: String, into buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "-"))
        Self.appendLine(code, to: &buffer)
        if !message.isEmpty {
            buffer.append(UInt8(ascii: " "))
            Self.appendLine(message, to: &buffer)
        }
        buffer.append(contentsOf: Self.crlf)
    }

    /// The reply for a parser error: `-CODE message\r\n`.
    public func error(_ error: WireError, into buffer: inout [UInt8]) {
        self.error(code: error.code, message: error.message, into: &buffer)
    }

    /// `:n\r\n`.
    public func integer(_ value: Int64, into buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: ":"))
        Self.appendDecimal(value, to: &buffer)
        buffer.append(contentsOf: Self.crlf)
    }

    /// `$len\r\nbytes\r\n`; any bytes.
    public func bulk(_ bytes: some Collection<UInt8>, into buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "$"))
        Self.appendDecimal(Int64(bytes.count), to: &buffer)
        buffer.append(contentsOf: Self.crlf)
        buffer.append(contentsOf: bytes)
        buffer.append(contentsOf: Self.crlf)
    }

    /// A bulk string of `text`'s UTF-8 bytes.
    public func bulk(_ text: String, into buffer: inout [UInt8]) {
        var text = text
        text.withUTF8 { bulk($0, into: &buffer) }
    }

    /// `$-1\r\n` in RESP2, `_\r\n` in RESP3.
    public func null(into buffer: inout [UInt8]) {
        switch version {
        case .resp2: buffer.append(contentsOf: [UInt8(ascii: "$"), UInt8(ascii: "-"), UInt8(ascii: "1"), 0x0D, 0x0A])
        case .resp3: buffer.append(contentsOf: [UInt8(ascii: "_"), 0x0D, 0x0A])
        }
    }

    /// `*count\r\n`; `count` elements must follow.
    public func arrayHeader(count: Int, into buffer: inout [UInt8]) {
        header(UInt8(ascii: "*"), count, into: &buffer)
    }

    /// `%count\r\n` in RESP3, `*2·count\r\n` in RESP2; `count` key, value pairs must follow.
    public func mapHeader(count: Int, into buffer: inout [UInt8]) {
        switch version {
        case .resp2: header(UInt8(ascii: "*"), 2 * count, into: &buffer)
        case .resp3: header(UInt8(ascii: "%"), count, into: &buffer)
        }
    }

    /// `>count\r\n` in RESP3, `*count\r\n` in RESP2; `count` elements must follow, the
    /// first naming the push's kind.
    public func pushHeader(count: Int, into buffer: inout [UInt8]) {
        switch version {
        case .resp2: header(UInt8(ascii: "*"), count, into: &buffer)
        case .resp3: header(UInt8(ascii: ">"), count, into: &buffer)
        }
    }

    /// `value`, aggregates recursively.
    public func encode(_ value: WireValue, into buffer: inout [UInt8]) {
        switch value {
        case .simple(let text): simple(text, into: &buffer)
        case .error(let code, let message): error(code: code, message: message, into: &buffer)
        case .integer(let number): integer(number, into: &buffer)
        case .bulk(let bytes): bulk(bytes, into: &buffer)
        case .null: null(into: &buffer)
        case .array(let elements):
            arrayHeader(count: elements.count, into: &buffer)
            for element in elements { encode(element, into: &buffer) }
        case .map(let fields):
            mapHeader(count: fields.count, into: &buffer)
            for field in fields {
                encode(field.key, into: &buffer)
                encode(field.value, into: &buffer)
            }
        case .push(let elements):
            pushHeader(count: elements.count, into: &buffer)
            for element in elements { encode(element, into: &buffer) }
        }
    }

    private func header(_ type: UInt8, _ count: Int, into buffer: inout [UInt8]) {
        buffer.append(type)
        Self.appendDecimal(Int64(count), to: &buffer)
        buffer.append(contentsOf: Self.crlf)
    }

    /// A line's text with `\r` and `\n` replaced by spaces.
    private static func appendLine(_ text: String, to buffer: inout [UInt8]) {
        for byte in text.utf8 {
            buffer.append(byte == 0x0D || byte == 0x0A ? UInt8(ascii: " ") : byte)
        }
    }

    /// The decimal digits of `value`, written in place (no intermediate String).
    static func appendDecimal(_ value: Int64, to buffer: inout [UInt8]) {
        if value < 0 { buffer.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits = 1
        var rest = magnitude / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        let first = buffer.count
        buffer.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: digits))
        var index = first + digits - 1
        while index >= first {
            buffer[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
            magnitude /= 10
            index -= 1
        }
    }
}
