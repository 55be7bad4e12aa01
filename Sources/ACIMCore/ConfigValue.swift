/// A value a configuration key holds: how the schema and the messages name its type, and how it is written.
public protocol ConfigValue: Codable, Sendable, Equatable {
    /// `integer`, `number`, `boolean`, `string`, `quantity`, or an enumeration's choices such as `row | bit_plane`.
    static var configType: String { get }
    /// The SI base unit of a quantity; empty otherwise.
    static var configUnit: String { get }
    /// What a value looks like, for messages: `an integer`, `true or false`.
    static var configExpectation: String { get }
    /// The names an enumeration accepts; empty otherwise.
    static var configChoices: [String] { get }
    /// The value as written in YAML.
    var yamlText: String { get }
    /// The value of `key` in `container`.
    static func decodeConfig(_ container: KeyedDecodingContainer<ConfigCodingKey>, forKey key: ConfigCodingKey) throws -> Self
}

extension ConfigValue {
    public static var configUnit: String { "" }
    public static var configChoices: [String] { [] }
    public static func decodeConfig(_ container: KeyedDecodingContainer<ConfigCodingKey>,
                                    forKey key: ConfigCodingKey) throws -> Self {
        try container.decode(Self.self, forKey: key)
    }
}

extension ConfigValue where Self: FixedWidthInteger {
    /// A decimal integer, read from the scalar's text where the format has text scalars (YAML): the YAML
    /// reader's own integers (hexadecimal, octal, sexagesimal `1:30`) are not profile syntax, and its
    /// sexagesimal reading traps on overflow. Formats with typed numbers (JSON) decode them directly.
    public static func decodeConfig(_ container: KeyedDecodingContainer<ConfigCodingKey>,
                                    forKey key: ConfigCodingKey) throws -> Self {
        guard let text = try? container.decode(String.self, forKey: key) else {
            return try container.decode(Self.self, forKey: key)
        }
        guard let value = Self(text) else {
            throw DecodingError.typeMismatch(Self.self, DecodingError.Context(
                codingPath: container.codingPath + [key], debugDescription: "expected an integer, got \(text)"))
        }
        return value
    }
}

/// A numeric configuration value, checked against the range its key declares.
public protocol BoundedConfigValue: ConfigValue {
    /// The type ranges are written in: `Int` for integers, `Double` (SI base units) for the rest.
    associatedtype Bound: Sendable
    static func rangeNumber(_ bound: Bound) -> Double
    /// The value on the range's axis; nil when it has none (`auto`).
    var rangeValue: Double? { get }
    /// A magnitude as messages and the schema show it: `8192`, `0.5`, `10GHz`.
    static func rangeText(of magnitude: Double) -> String
    /// YAML that decodes to exactly `magnitude`.
    static func rangeYAML(of magnitude: Double) -> String
    /// The nearest value of the type above or below `magnitude`.
    static func rangeNeighbour(of magnitude: Double, up: Bool) -> Double
    /// The kind of value in messages: `integer`, `number`, `energy`.
    static var rangeNoun: String { get }
}

extension BoundedConfigValue {
    public static var configExpectation: String { article(rangeNoun) }
    public static func rangeYAML(of magnitude: Double) -> String { "\(magnitude)" }
    public var yamlText: String { rangeValue.map(Self.rangeText(of:)) ?? "" }
}

/// An enumeration written as its raw names.
public protocol ConfigEnumeration: ConfigValue, RawRepresentable<String>, CaseIterable {}

extension ConfigEnumeration {
    public static var configChoices: [String] { allCases.map(\.rawValue) }
    public static var configType: String { configChoices.joined(separator: " | ") }
    public static var configExpectation: String { "one of " + configChoices.joined(separator: ", ") }
    public var yamlText: String { rawValue }
}

/// A number as the schema writes it: whole numbers without a fraction (`1`, `100000`), others shortest.
func plainNumber(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
}

extension Int: BoundedConfigValue {
    public static let configType = "integer"
    public static let rangeNoun = "integer"
    public static func rangeNumber(_ bound: Int) -> Double { Double(bound) }
    public var rangeValue: Double? { Double(self) }
    /// Whole numbers as integers; beyond `Int`'s range (a value the range check rejects), as a number.
    public static func rangeText(of magnitude: Double) -> String { Int(exactly: magnitude).map(String.init) ?? "\(magnitude)" }
    public static func rangeYAML(of magnitude: Double) -> String { rangeText(of: magnitude) }
    public static func rangeNeighbour(of magnitude: Double, up: Bool) -> Double { magnitude + (up ? 1 : -1) }
}

extension UInt64: ConfigValue {
    public static let configType = "integer"
    public static let configExpectation = "an integer"
    public var yamlText: String { String(self) }
}

extension Double: BoundedConfigValue {
    public static let configType = "number"
    public static let rangeNoun = "number"
    public static func rangeNumber(_ bound: Double) -> Double { bound }
    public var rangeValue: Double? { self }
    public static func rangeText(of magnitude: Double) -> String { plainNumber(magnitude) }
    public static func rangeNeighbour(of magnitude: Double, up: Bool) -> Double { up ? magnitude.nextUp : magnitude.nextDown }
}

extension Float: BoundedConfigValue {
    public static let configType = "number"
    public static let rangeNoun = "number"
    public static func rangeNumber(_ bound: Double) -> Double { bound }
    public var rangeValue: Double? { Double(self) }
    public static func rangeText(of magnitude: Double) -> String {
        magnitude == magnitude.rounded() && abs(magnitude) < 1e15 ? String(Int64(magnitude)) : "\(Float(magnitude))"
    }
    public static func rangeYAML(of magnitude: Double) -> String { "\(Float(magnitude))" }
    public static func rangeNeighbour(of magnitude: Double, up: Bool) -> Double {
        Double(up ? Float(magnitude).nextUp : Float(magnitude).nextDown)
    }
}

extension Bool: ConfigValue {
    public static let configType = "boolean"
    public static let configExpectation = "true or false"
    public var yamlText: String { self ? "true" : "false" }
}

extension String: ConfigValue {
    public static let configType = "string"
    public static let configExpectation = "a string"
    public var yamlText: String { "\"\(self)\"" }
}

extension Optional: ConfigValue where Wrapped: ConfigValue {
    public static var configType: String { Wrapped.configType }
    public static var configUnit: String { Wrapped.configUnit }
    public static var configExpectation: String { Wrapped.configExpectation }
    public static var configChoices: [String] { Wrapped.configChoices }
    public var yamlText: String { map(\.yamlText) ?? "null" }
}

extension Optional: BoundedConfigValue where Wrapped: BoundedConfigValue {
    public typealias Bound = Wrapped.Bound
    public static func rangeNumber(_ bound: Wrapped.Bound) -> Double { Wrapped.rangeNumber(bound) }
    public var rangeValue: Double? { flatMap(\.rangeValue) }
    public static func rangeText(of magnitude: Double) -> String { Wrapped.rangeText(of: magnitude) }
    public static func rangeYAML(of magnitude: Double) -> String { Wrapped.rangeYAML(of: magnitude) }
    public static func rangeNeighbour(of magnitude: Double, up: Bool) -> Double { Wrapped.rangeNeighbour(of: magnitude, up: up) }
    public static var rangeNoun: String { Wrapped.rangeNoun }
}

extension Quantity: BoundedConfigValue {
    public static var configType: String { "quantity" }
    public static var configUnit: String { D.baseUnit }
    public static var configExpectation: String { "a number in \(D.baseUnit) or a string with a unit" }
    public static var rangeNoun: String { D.name }
    public static func rangeNumber(_ bound: Double) -> Double { bound }
    public var rangeValue: Double? { value }
    /// `10GHz`; a zero bound as plain `0`.
    public static func rangeText(of magnitude: Double) -> String { magnitude == 0 ? "0" : Quantity(magnitude).description }
    public var yamlText: String { description }
    public static func rangeNeighbour(of magnitude: Double, up: Bool) -> Double { up ? magnitude.nextUp : magnitude.nextDown }
}
