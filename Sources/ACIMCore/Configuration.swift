/// One problem found while validating a configuration, located by its key path
/// (for example `["periphery", "adc", "bits"]`) so a profile loader can point at the YAML node.
public struct ConfigIssue: Error, Equatable, Sendable, CustomStringConvertible {
    public var path: [String]
    public var message: String

    public init(path: [String], message: String) {
        self.path = path
        self.message = message
    }

    /// The issue with `prefix` prepended to its key path.
    public func nested(under prefix: String) -> ConfigIssue {
        ConfigIssue(path: [prefix] + path, message: message)
    }

    public var description: String { "\(path.joined(separator: ".")): \(message)" }
}

/// A value at the edge of a key's declared range, as YAML text, and whether the range admits it.
public struct ConfigSample: Sendable, Equatable {
    public var yaml: String
    public var admitted: Bool
}

/// The description of one configuration key, generated from its `ConfigKey` declaration: the source of
/// `acim profile schema`, of the loader's unknown-key check and of its type messages.
public struct ConfigField: Sendable, Equatable {
    public var key: String
    /// `integer`, `number`, `boolean`, `string`, `quantity`, an enumeration such as `differential | offset`,
    /// or `section` for a nested component.
    public var type: String
    /// The unit of a quantity or of a number, for example `S` or `eV`; empty when the value has none.
    public var unit: String
    /// The default as it would be written in YAML; empty for sections and required keys.
    public var defaultValue: String
    /// The declared range and the rules relating the key to others, for example `1...8192, divides cols`.
    public var allowed: String
    public var doc: String
    /// The names an enumeration accepts; empty for other types.
    public var choices: [String]
    /// What a value of the type looks like, for messages: `an integer`, `true or false`.
    public var expectation: String
    public var required: Bool
    /// Values just inside and just outside the declared range, for tests.
    public var samples: [ConfigSample]
    /// The keys of a section.
    public var children: [ConfigField]

    public var isSection: Bool { type == "section" }
}

/// A component configuration: decoded with every key optional (the defaults of `init()` fill the rest),
/// encoded, described and range-checked from one table of `ConfigKey`s, so the schema, the decoder and the
/// validation cannot drift apart.
public protocol ComponentConfiguration: Codable, Sendable, Equatable {
    /// The defaults.
    init()
    /// Every key, in the order a resolved profile prints them.
    static var keys: [ConfigKey<Self>] { get }
    /// The problems of rules that relate several keys (each key's own range comes from its declaration);
    /// `keysValid` is true when every key, nested sections included, is within its range.
    func combinationIssues(keysValid: Bool) -> [ConfigIssue]
}

extension ComponentConfiguration {
    public func combinationIssues(keysValid: Bool) -> [ConfigIssue] { [] }

    /// Every key, described with the defaults.
    public static var fields: [ConfigField] {
        let defaults = Self()
        return keys.map { $0.describe(defaults) }
    }

    /// Decodes the keys that are present over the defaults; keys marked required last, so the problems of
    /// every other key are seen first.
    public init(from decoder: any Decoder) throws {
        var value = Self()
        let container = try decoder.container(keyedBy: ConfigCodingKey.self)
        for key in Self.keys where !key.required { try key.decode(&value, container) }
        for key in Self.keys where key.required { try key.decode(&value, container) }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: ConfigCodingKey.self)
        for key in Self.keys { try key.encode(self, &container) }
    }

    /// All problems of this configuration, empty when it is valid: each key against its declared range,
    /// nested sections, then the combination rules.
    public func validate() -> [ConfigIssue] {
        let own = Self.keys.flatMap { $0.issues(self) }
        return own + combinationIssues(keysValid: own.isEmpty)
    }

    /// Throws the first issue, for callers that do not collect them.
    public func validated() throws -> Self {
        if let first = validate().first {
            throw ACIMError.invalidConfiguration(path: first.path.joined(separator: "."), message: first.message)
        }
        return self
    }
}

/// A configuration key as it is spelled in a profile.
public struct ConfigCodingKey: CodingKey, Sendable {
    public var stringValue: String
    public var intValue: Int? { nil }
    public init(_ name: String) { stringValue = name }
    public init?(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}

/// The one declaration of a configuration key: its profile name, the property it sets (whose declaration
/// gives the type and the default), its range, its unit and its meaning.
public struct ConfigKey<Root: ComponentConfiguration>: Sendable {
    public let name: String
    let required: Bool
    let describe: @Sendable (Root) -> ConfigField
    let decode: @Sendable (inout Root, KeyedDecodingContainer<ConfigCodingKey>) throws -> Void
    let encode: @Sendable (Root, inout KeyedEncodingContainer<ConfigCodingKey>) throws -> Void
    let issues: @Sendable (Root) -> [ConfigIssue]

    private static func make<V: ConfigValue>(_ path: WritableKeyPath<Root, V> & Sendable, _ name: String,
                                             range: String = "", samples rangeSamples: [ConfigSample]? = nil,
                                             unit: String, rule: String, required: Bool, doc: String,
                                             check: @escaping @Sendable (V) -> String?) -> ConfigKey {
        let allowed = [required ? "required" : "", range, rule].filter { !$0.isEmpty }.joined(separator: ", ")
        // An enumeration's range is its choices: each is admitted, a name outside them is not.
        let samples = rangeSamples ?? (V.configChoices.isEmpty ? []
            : V.configChoices.map { ConfigSample(yaml: $0, admitted: true) } + [ConfigSample(yaml: "not_a_choice", admitted: false)])
        return ConfigKey(
            name: name, required: required,
            describe: { defaults in
                ConfigField(key: name, type: V.configType, unit: unit.isEmpty ? V.configUnit : unit,
                            defaultValue: required ? "" : defaults[keyPath: path].yamlText, allowed: allowed,
                            doc: doc, choices: V.configChoices, expectation: V.configExpectation, required: required,
                            samples: samples, children: [])
            },
            decode: { root, container in
                let key = ConfigCodingKey(name)
                // An absent or null optional key keeps its default.
                let present = try container.contains(key) && !container.decodeNil(forKey: key)
                if required || present {
                    root[keyPath: path] = try V.decodeConfig(container, forKey: key)
                }
            },
            encode: { root, container in try container.encode(root[keyPath: path], forKey: ConfigCodingKey(name)) },
            issues: { root in check(root[keyPath: path]).map { [ConfigIssue(path: [name], message: $0)] } ?? [] })
    }

    /// A key without a declared range (enumerations, booleans, strings).
    public static func key<V: ConfigValue>(_ path: WritableKeyPath<Root, V> & Sendable, _ name: String,
                                           unit: String = "", rule: String = "", required: Bool = false,
                                           _ doc: String) -> ConfigKey {
        make(path, name, unit: unit, rule: rule, required: required, doc: doc) { _ in nil }
    }

    /// A numeric key that takes any finite value.
    public static func key<V: BoundedConfigValue>(_ path: WritableKeyPath<Root, V> & Sendable, _ name: String,
                                                  unit: String = "", rule: String = "", _ doc: String) -> ConfigKey {
        bounded(path, name, nil, unit, rule, doc)
    }

    /// A numeric key in `range` (for quantities, in SI base units).
    public static func key<V: BoundedConfigValue>(_ path: WritableKeyPath<Root, V> & Sendable, _ name: String,
                                                  in range: ClosedRange<V.Bound>, unit: String = "",
                                                  rule: String = "", _ doc: String) -> ConfigKey {
        bounded(path, name, ConfigBounds(lower: .inclusive(V.rangeNumber(range.lowerBound)),
                                         upper: .inclusive(V.rangeNumber(range.upperBound))), unit, rule, doc)
    }

    /// A numeric key `>= minimum`.
    public static func key<V: BoundedConfigValue>(_ path: WritableKeyPath<Root, V> & Sendable, _ name: String,
                                                  atLeast minimum: V.Bound, unit: String = "", rule: String = "",
                                                  _ doc: String) -> ConfigKey {
        bounded(path, name, ConfigBounds(lower: .inclusive(V.rangeNumber(minimum))), unit, rule, doc)
    }

    /// A numeric key `> minimum`.
    public static func key<V: BoundedConfigValue>(_ path: WritableKeyPath<Root, V> & Sendable, _ name: String,
                                                  above minimum: V.Bound, unit: String = "", rule: String = "",
                                                  _ doc: String) -> ConfigKey {
        bounded(path, name, ConfigBounds(lower: .exclusive(V.rangeNumber(minimum))), unit, rule, doc)
    }

    /// A numeric key that takes one of `values`.
    public static func key<V: BoundedConfigValue>(_ path: WritableKeyPath<Root, V> & Sendable, _ name: String,
                                                  oneOf values: [V.Bound], unit: String = "", rule: String = "",
                                                  _ doc: String) -> ConfigKey {
        bounded(path, name, ConfigBounds(values: values.map(V.rangeNumber)), unit, rule, doc)
    }

    private static func bounded<V: BoundedConfigValue>(_ path: WritableKeyPath<Root, V> & Sendable, _ name: String,
                                                       _ bounds: ConfigBounds?, _ unit: String, _ rule: String,
                                                       _ doc: String) -> ConfigKey {
        make(path, name, range: bounds?.text(V.self) ?? "", samples: bounds?.samples(V.self) ?? [], unit: unit,
             rule: rule, required: false, doc: doc) { value in
            guard let magnitude = value.rangeValue else { return nil }
            if magnitude.isFinite, bounds?.admits(magnitude) ?? true { return nil }
            return "expected " + (bounds?.expectation(V.self) ?? "a finite \(V.rangeNoun)") + ", got \(V.rangeText(of: magnitude))"
        }
    }

    /// A nested component: decoded, encoded, described and validated by its own keys.
    public static func section<V: ComponentConfiguration>(_ path: WritableKeyPath<Root, V> & Sendable,
                                                          _ name: String, _ doc: String) -> ConfigKey {
        ConfigKey(
            name: name, required: false,
            describe: { _ in
                ConfigField(key: name, type: "section", unit: "", defaultValue: "", allowed: "", doc: doc,
                            choices: [], expectation: "a section (a mapping of keys)", required: false,
                            samples: [], children: V.fields)
            },
            decode: { root, container in
                if let value = try container.decodeIfPresent(V.self, forKey: ConfigCodingKey(name)) {
                    root[keyPath: path] = value
                }
            },
            encode: { root, container in try container.encode(root[keyPath: path], forKey: ConfigCodingKey(name)) },
            issues: { root in root[keyPath: path].validate().map { $0.nested(under: name) } })
    }
}

/// The declared range of a numeric key, on the value's magnitude (SI base units for quantities).
struct ConfigBounds: Sendable {
    enum Limit: Sendable {
        case inclusive(Double), exclusive(Double)
    }

    var lower: Limit? = nil
    var upper: Limit? = nil
    /// When not empty, the only values admitted.
    var values: [Double] = []

    func admits(_ x: Double) -> Bool {
        if !values.isEmpty { return values.contains(x) }
        switch lower {
        case let .inclusive(l)?: if x < l { return false }
        case let .exclusive(l)?: if x <= l { return false }
        case nil: break
        }
        switch upper {
        case let .inclusive(u)?: if x > u { return false }
        case let .exclusive(u)?: if x >= u { return false }
        case nil: break
        }
        return true
    }

    /// `1...8192`, `>= 0`, `> 0`, `0.2 or 2`.
    func text<V: BoundedConfigValue>(_: V.Type) -> String {
        if !values.isEmpty { return values.map(V.rangeText(of:)).joined(separator: values.count == 2 ? " or " : ", ") }
        switch (lower, upper) {
        case let (.inclusive(l)?, .inclusive(u)?): return "\(V.rangeText(of: l))...\(V.rangeText(of: u))"
        case let (.inclusive(l)?, nil): return ">= \(V.rangeText(of: l))"
        case let (.exclusive(l)?, nil): return "> \(V.rangeText(of: l))"
        default: return ""
        }
    }

    /// The message's expectation: `an integer in 1...8192`, `an energy >= 0`, `0.2 or 2`.
    func expectation<V: BoundedConfigValue>(_: V.Type) -> String {
        if !values.isEmpty { return text(V.self) }
        let noun = article(V.rangeNoun)
        if case .inclusive? = lower, case .inclusive? = upper { return "\(noun) in \(text(V.self))" }
        return "\(noun) \(text(V.self))"
    }

    /// Every limit with the value on it or just inside (admitted) and the nearest value just outside.
    func samples<V: BoundedConfigValue>(_: V.Type) -> [ConfigSample] {
        func sample(_ x: Double) -> ConfigSample { ConfigSample(yaml: V.rangeYAML(of: x), admitted: admits(x)) }
        if !values.isEmpty {
            return values.flatMap { [sample($0), sample(V.rangeNeighbour(of: $0, up: true))] }
        }
        var cases: [ConfigSample] = []
        switch lower {
        case let .inclusive(l)?: cases += [sample(l), sample(V.rangeNeighbour(of: l, up: false))]
        case let .exclusive(l)?: cases += [sample(V.rangeNeighbour(of: l, up: true)), sample(l)]
        case nil: break
        }
        switch upper {
        case let .inclusive(u)?: cases += [sample(u), sample(V.rangeNeighbour(of: u, up: true))]
        case let .exclusive(u)?: cases += [sample(V.rangeNeighbour(of: u, up: false)), sample(u)]
        case nil: break
        }
        return cases
    }
}

/// `a number`, `an integer`.
func article(_ noun: String) -> String {
    ("aeiou".contains(noun.first ?? "x") ? "an " : "a ") + noun
}

/// Helpers for combination rules.
public struct IssueCollector {
    public private(set) var issues: [ConfigIssue] = []

    public init() {}

    /// Records `message` at `key` when `condition` is false.
    public mutating func require(_ condition: Bool, _ key: String, _ message: String) {
        if !condition { issues.append(ConfigIssue(path: [key], message: message)) }
    }

    /// Records `message` at the key path `path`.
    public mutating func add(_ path: [String], _ message: String) {
        issues.append(ConfigIssue(path: path, message: message))
    }
}
