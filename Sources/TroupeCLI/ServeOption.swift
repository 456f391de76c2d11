import Troupe

/// One row of `troupe serve`'s flag table: the ``Flag`` it declares, how its default is shown
/// (read from a default ``ServeOptions``, so `--help` can never disagree with the code), and
/// how a value is applied.
struct ServeOption: Sendable {
    /// The flag's name, placeholder (nil: boolean), help, environment variable and repeatability.
    let name: String
    let placeholder: String?
    let help: String
    let environment: String?
    let repeatable: Bool
    /// The current value as it would be written on the command line; nil: no default to show.
    let show: @Sendable (ServeOptions) -> String?
    /// Parses `text` and stores it; each value of a repeatable flag is applied in turn.
    let apply: @Sendable (inout ServeOptions, String) throws(ValueError) -> Void

    init(
        _ name: String, placeholder: String?, help: String, environment: String? = nil, repeatable: Bool = false,
        show: @escaping @Sendable (ServeOptions) -> String?,
        apply: @escaping @Sendable (inout ServeOptions, String) throws(ValueError) -> Void
    ) {
        self.name = name
        self.placeholder = placeholder
        self.help = help
        self.environment = environment
        self.repeatable = repeatable
        self.show = show
        self.apply = apply
    }

    /// The declared flag, its default shown from `defaults`.
    func flag(defaults: ServeOptions) -> Flag {
        Flag(name, placeholder: placeholder, help: help, defaultText: show(defaults), environment: environment, repeatable: repeatable)
    }

    // MARK: Rows of the common kinds

    /// An integer within `range`.
    static func integer(_ name: String, _ help: String, _ range: ClosedRange<Int>, _ path: any WritableKeyPath<ServeOptions, Int> & Sendable) -> ServeOption {
        ServeOption(name, placeholder: "N", help: "\(help) (\(range.lowerBound) to \(range.upperBound)).", show: { "\($0[keyPath: path])" }) {
            options, text throws(ValueError) in
            options[keyPath: path] = try ValueParser.integer(text, in: range)
        }
    }

    /// A duration within `range`.
    static func duration(
        _ name: String, _ help: String, _ path: any WritableKeyPath<ServeOptions, Duration> & Sendable,
        _ range: ClosedRange<Duration> = .milliseconds(1)...ValueParser.longestDuration
    ) -> ServeOption {
        ServeOption(name, placeholder: "DURATION", help: help, show: { ValueParser.format($0[keyPath: path]) }) { options, text throws(ValueError) in
            options[keyPath: path] = try ValueParser.duration(text, in: range)
        }
    }

    /// A byte size within `range`.
    static func bytes(_ name: String, _ help: String, _ range: ClosedRange<Int>, _ path: any WritableKeyPath<ServeOptions, Int> & Sendable) -> ServeOption {
        ServeOption(name, placeholder: "SIZE", help: help, show: { ValueParser.formatBytes($0[keyPath: path]) }) { options, text throws(ValueError) in
            options[keyPath: path] = try ValueParser.byteSize(text, in: range)
        }
    }

    /// A token bucket's refill rate (`20/s`); its burst is kept.
    static func rate(_ name: String, _ help: String, _ path: any WritableKeyPath<ServeOptions, TokenBucketConfiguration> & Sendable) -> ServeOption {
        ServeOption(name, placeholder: "RATE", help: help, show: { ValueParser.formatRate(count: $0[keyPath: path].refill, period: $0[keyPath: path].period) }) {
            options, text throws(ValueError) in
            let (count, period) = try ValueParser.rate(text)
            options[keyPath: path] = try bucket(capacity: options[keyPath: path].capacity, refill: count, per: period)
        }
    }

    /// A token bucket's burst (its capacity); its rate is kept.
    static func burst(_ name: String, _ help: String, _ path: any WritableKeyPath<ServeOptions, TokenBucketConfiguration> & Sendable) -> ServeOption {
        ServeOption(name, placeholder: "N", help: "\(help) (1 to 100000000).", show: { "\($0[keyPath: path].capacity)" }) { options, text throws(ValueError) in
            let capacity = try ValueParser.integer(text, in: 1...100_000_000)
            let current = options[keyPath: path]
            options[keyPath: path] = try bucket(capacity: capacity, refill: current.refill, per: current.period)
        }
    }

    /// A bucket, its own refusal (an overflowing capacity × period) turned into a ``ValueError``.
    private static func bucket(capacity: Int, refill: Int, per period: Duration) throws(ValueError) -> TokenBucketConfiguration {
        do {
            return try TokenBucketConfiguration(capacity: capacity, refill: refill, per: period)
        } catch {
            throw ValueError(error.description)
        }
    }
}
