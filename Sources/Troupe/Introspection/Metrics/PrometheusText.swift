/// Prometheus's naming rules and its text exposition format, version 0.0.4.
///
/// https://prometheus.io/docs/instrumenting/exposition_formats/ : one `# HELP` and one
/// `# TYPE` line per family, then one line per sample; histograms as cumulative
/// `_bucket{le="..."}` lines ending with `le="+Inf"`, then `_sum` and `_count`.
enum PrometheusText {
    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    static func isValidMetricName(_ name: String) -> Bool {
        isValid(name, allowColon: true)
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__` (reserved for Prometheus itself).
    static func isValidLabelName(_ name: String) -> Bool {
        isValid(name, allowColon: false) && !name.hasPrefix("__")
    }

    private static func isValid(_ name: String, allowColon: Bool) -> Bool {
        var isFirst = true
        for byte in name.utf8 {
            let isLetter = (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || byte == UInt8(ascii: "_") || (allowColon && byte == UInt8(ascii: ":"))
            let isDigit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
            guard isLetter || (!isFirst && isDigit) else { return false }
            isFirst = false
        }
        return !isFirst
    }

    /// The exposition of `families`, in the order given.
    static func encode(_ families: [MetricFamilySnapshot]) -> String {
        var text = ""
        for family in families {
            text += "# HELP \(family.name) \(escapeHelp(family.help))\n"
            text += "# TYPE \(family.name) \(family.type.rawValue)\n"
            for series in family.series {
                let labels = zip(family.labelNames, series.labelValues).map { ($0, $1) }
                switch series.value {
                case .number(let value):
                    text += "\(family.name)\(render(labels)) \(format(value))\n"
                case .histogram(let histogram):
                    for (index, cumulative) in histogram.cumulativeCounts.enumerated() {
                        let bound = index < histogram.upperBounds.count ? format(histogram.upperBounds[index]) : "+Inf"
                        text += "\(family.name)_bucket\(render(labels + [("le", bound)])) \(cumulative)\n"
                    }
                    text += "\(family.name)_sum\(render(labels)) \(format(histogram.sum))\n"
                    text += "\(family.name)_count\(render(labels)) \(histogram.count)\n"
                }
            }
        }
        return text
    }

    /// A number as Prometheus parses it: integers without a fraction, others in Swift's
    /// shortest round-trip form (`0.1`, `1e-05`, which Go's `ParseFloat` reads back
    /// exactly), and `+Inf`, `-Inf`, `NaN`.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        // Below 2^53 every integer is exact, so printing it as one loses nothing.
        if value == value.rounded(), Swift.abs(value) < 9_007_199_254_740_992 { return String(Int64(value)) }
        return value.description
    }

    /// `\` and newline escaped, as `# HELP` lines require.
    static func escapeHelp(_ help: String) -> String {
        var escaped = ""
        for character in help.unicodeScalars {
            switch character {
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }

    /// `\`, `"` and newline escaped, as label values require.
    static func escapeLabelValue(_ value: String) -> String {
        var escaped = ""
        for character in value.unicodeScalars {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }

    private static func render(_ labels: [(String, String)]) -> String {
        guard !labels.isEmpty else { return "" }
        return "{" + labels.map { "\($0.0)=\"\(escapeLabelValue($0.1))\"" }.joined(separator: ",") + "}"
    }
}
