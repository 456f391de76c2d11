/// One flag of a command, as declared in its table: what `--help` prints and what
/// ``FlagParser`` accepts.
public struct Flag: Sendable, Hashable {
    /// The name without dashes: `port` is written `--port`.
    public let name: String
    /// The value's placeholder in `--help` (`PORT`, `DURATION`); nil for a boolean flag,
    /// which takes no value (`--fault-injection`, or `--fault-injection=false`).
    public let placeholder: String?
    /// One sentence for `--help`.
    public let help: String
    /// The default as written on the command line (`7070`, `30s`), or nil when there is none.
    public let defaultText: String?
    /// The environment variable read when the flag is absent (the flag wins); nil if none.
    public let environment: String?
    /// Whether the flag may be given many times (each value kept in order). Its environment
    /// variable then holds the values separated by commas.
    public let repeatable: Bool

    /// A flag; `environment` defaults to `TROUPE_` and the name in upper case with `_` for `-`.
    public init(
        _ name: String, placeholder: String?, help: String, defaultText: String?,
        environment: String? = nil, repeatable: Bool = false
    ) {
        self.name = name
        self.placeholder = placeholder
        self.help = help
        self.defaultText = defaultText
        self.environment = environment ?? Flag.environmentName(for: name)
        self.repeatable = repeatable
    }

    /// Whether the flag is a boolean one (takes no value).
    public var isBoolean: Bool { placeholder == nil }

    /// `TROUPE_` and `name` in upper case, `-` turned into `_`: `user-rate` → `TROUPE_USER_RATE`.
    public static func environmentName(for name: String) -> String {
        "TROUPE_" + name.uppercased().replacingOccurrences(of: "-", with: "_")
    }
}

extension String {
    /// `self` with every `target` replaced by `replacement` (without Foundation).
    fileprivate func replacingOccurrences(of target: Character, with replacement: Character) -> String {
        String(map { $0 == target ? replacement : $0 })
    }
}
