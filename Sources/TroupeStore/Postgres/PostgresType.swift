/// The PostgreSQL type OIDs the driver sends and decodes, and the decoding of text-format
/// results into ``DatabaseValue``.
///
/// Results come back in text format, which every type has; only these types get a
/// non-text ``DatabaseValue``. The OIDs are fixed by PostgreSQL's catalog (`pg_type.dat`)
/// and never change between versions.
enum PostgresType {
    static let bool: UInt32 = 16
    static let bytea: UInt32 = 17
    static let int8: UInt32 = 20
    static let int2: UInt32 = 21
    static let int4: UInt32 = 23
    static let text: UInt32 = 25
    static let oid: UInt32 = 26
    static let float4: UInt32 = 700
    static let float8: UInt32 = 701
    static let numeric: UInt32 = 1700
    /// "Infer the type from the statement": used for NULL parameters, so a NULL fits any
    /// column.
    static let unspecified: UInt32 = 0

    /// The value of a non-null text-format field of type `type`.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, type: UInt32) -> DatabaseValue {
        let text = String(decoding: bytes, as: UTF8.self)
        switch type {
        case bool:
            return .bool(text == "t")
        case int2, int4, int8, oid:
            return Int64(text).map(DatabaseValue.integer) ?? .text(text)
        case float4, float8:
            return parseDouble(text).map(DatabaseValue.double) ?? .text(text)
        case numeric:
            // SUM and AVG over integers return numeric: whole values read as integers.
            if let integer = Int64(text) { return .integer(integer) }
            return parseDouble(text).map(DatabaseValue.double) ?? .text(text)
        case bytea:
            return decodeHex(bytes).map(DatabaseValue.blob) ?? .text(text)
        default:
            return .text(text)
        }
    }

    private static func parseDouble(_ text: String) -> Double? {
        switch text {
        case "Infinity": .infinity
        case "-Infinity": -.infinity
        case "NaN": .nan
        default: Double(text)
        }
    }

    /// `\x` followed by two hex digits per byte (`bytea_output=hex`, which the driver sets).
    private static func decodeHex(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "\\"), bytes[1] == UInt8(ascii: "x"), bytes.count % 2 == 0 else { return nil }
        var result: [UInt8] = []
        result.reserveCapacity((bytes.count - 2) / 2)
        var index = 2
        while index < bytes.count {
            guard let high = hexDigit(bytes[index]), let low = hexDigit(bytes[index + 1]) else { return nil }
            result.append(high << 4 | low)
            index += 2
        }
        return result
    }

    private static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
