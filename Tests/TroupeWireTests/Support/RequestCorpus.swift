import Troupe
import TroupeWire

/// Random valid requests within some limits, serialized as inline lines or multibulk, with
/// the arguments each must parse to, plus the no-request noise (`\r\n`, `*0`, `*-1`) between.
struct RequestCorpus {
    /// The wire bytes.
    var input: [UInt8] = []
    /// The arguments of each request, in order.
    var expected: [[[UInt8]]] = []

    init(count: Int, limits: WireLimits, random: inout SplitMix64) {
        while expected.count < count {
            switch Int.random(in: 0..<10, using: &random) {
            case 0: input += bytes(["\r\n", "\n", " \t\r\n", "*0\r\n", "*-1\r\n"].randomElement(using: &random)!)
            case 1...4: addInline(limits: limits, random: &random)
            default: addMultibulk(limits: limits, random: &random)
            }
        }
    }

    private mutating func addMultibulk(limits: WireLimits, random: inout SplitMix64) {
        let count = Int.random(in: 1...min(limits.maxMultibulkCount, 6), using: &random)
        let maxLength = min(limits.maxBulkBytes, 300)
        var arguments: [[UInt8]] = []
        let encoder = RESPEncoder()
        encoder.arrayHeader(count: count, into: &input)
        for _ in 0..<count {
            let length = Bool.random(using: &random) ? Int.random(in: 0...min(maxLength, 8), using: &random) : Int.random(in: 0...maxLength, using: &random)
            let argument = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            encoder.bulk(argument, into: &input)
            arguments.append(argument)
        }
        expected.append(arguments)
    }

    private mutating func addInline(limits: WireLimits, random: inout SplitMix64) {
        let plain = Array("abcXYZ019-_.:$*'!".utf8)
        var line: [UInt8] = []
        var arguments: [[UInt8]] = []
        if Bool.random(using: &random) { line += separators(&random) }
        for index in 0..<Int.random(in: 1...4, using: &random) {
            if index > 0 { line += separators(&random) }
            var argument: [UInt8] = []
            if Int.random(in: 0..<3, using: &random) == 0 {
                // Quoted: any bytes, escaped as needed or at random.
                line.append(UInt8(ascii: "\""))
                for _ in 0..<Int.random(in: 0...6, using: &random) {
                    let byte = UInt8.random(in: 0...255, using: &random)
                    argument.append(byte)
                    switch byte {
                    case UInt8(ascii: "\""): line += bytes(#"\""#)
                    case UInt8(ascii: "\\"): line += bytes(#"\\"#)
                    case UInt8(ascii: "\n"): line += bytes(#"\n"#)
                    default:
                        if Bool.random(using: &random) {
                            line += bytes(#"\x"#) + Array(String(byte >> 4, radix: 16).utf8) + Array(String(byte & 0xF, radix: 16).utf8)
                        } else {
                            line.append(byte)
                        }
                    }
                }
                line.append(UInt8(ascii: "\""))
            } else {
                for _ in 0..<Int.random(in: 1...6, using: &random) {
                    argument.append(plain.randomElement(using: &random)!)
                }
                // A line starting with `*` would be multibulk.
                if line.isEmpty && argument.first == UInt8(ascii: "*") { argument[0] = UInt8(ascii: "a") }
                line += argument
            }
            arguments.append(argument)
        }
        if Bool.random(using: &random) { line += separators(&random) }
        guard line.count <= limits.maxInlineLineBytes else { return }
        input += line + bytes(Bool.random(using: &random) ? "\r\n" : "\n")
        expected.append(arguments)
    }

    private func separators(_ random: inout SplitMix64) -> [UInt8] {
        (0..<Int.random(in: 1...3, using: &random)).map { _ in Bool.random(using: &random) ? UInt8(ascii: " ") : UInt8(ascii: "\t") }
    }
}

/// Random chunk sizes: mostly tiny, sometimes larger, so every boundary gets split.
func randomChunks(total: Int, random: inout SplitMix64) -> [Int] {
    var sizes: [Int] = []
    var covered = 0
    let scale = [1, 3, 16, 100, 4_096].randomElement(using: &random)!
    while covered < total {
        let size = Int.random(in: 1...scale, using: &random)
        sizes.append(size)
        covered += size
    }
    return sizes
}
