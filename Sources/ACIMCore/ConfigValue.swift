/// A value a configuration key holds: how the schema and the messages name its type, and how it is written.
public protocol ConfigValue: Codable, Sendable, Equatable {
    /// `integer`, `number`, `boolean`, `string`, `quantity`, or an enumeration's choices such as `row | bit_plane`.
    static var schemaType: String { get }
    /// The SI base unit of a quantity; empty otherwise.
    static var unit: String { get }
    /// What a value looks like, for messages: `an integer`, `true or false`.
    static var expectation: String { get }
    /// The names an enumeration accepts; empty otherwise.
    static var choices: [String] { get }
    /// The value as written in YAML.
    var yamlText: String { get }
}

extension ConfigValue {
    public static var unit: String { "" }
    public static var choices: [String] { [] }
}

/// A numeric configuration value, checked against the range its key declares.
public protocol BoundedConfigValue: ConfigValue {
    /// The type ranges are written in: `Int` for integers, `Double` (SI base units) for the rest.
    associatedtype Bound: Sendable
    static func number(_ bound: Bound) -> Double
    /// The value on the range's axis; nil when it has none (`auto`).
    var rangeValue: Double? { get }
    /// A magnitude as messages and the schema show it: `8192`, `0.5`, `10GHz`.
    static func text(of magnitude: Double) -> String
    /// YAML that decodes to exactly `magnitude`.
    static func yaml(of magnitude: Double) -> String
    /// The nearest value of the type above or below `magnitude`.
    static func neighbour(of magnitude: Double, up: Bool) -> Double
    /// The kind of value in messages: `integer`, `number`, `energy`.
    static var noun: String { get }
}

extension BoundedConfigValue {
    public static var expectation: String { article(noun) }
    public static func yaml(of magnitude: Double) -> String { "\(magnitude)" }
    public var yamlText: String { rangeValue.map(Self.text(of:)) ?? "" }
}

/// An enumeration written as its raw names.
public protocol ConfigEnumeration: ConfigValue, RawRepresentable<String>, CaseIterable {}

extension ConfigEnumeration {
    public static var choices: [String] { allCases.map(\.rawValue) }
    public static var schemaType: String { choices.joined(separator: " | ") }
    public static var expectation: String { "one of " + choices.joined(separator: ", ") }
    public var yamlText: String { rawValue }
}

/// A number as the schema writes it: whole numbers without a fraction (`1`, `100000`), others shortest.
func plainNumber(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
}

extension Int: BoundedConfigValue {
    public static let schemaType = "integer"
    public static let noun = "integer"
    public static func number(_ bound: Int) -> Double { Double(bound) }
    public var rangeValue: Double? { Double(self) }
    public static func text(of magnitude: Double) -> String { String(Int(magnitude)) }
    public static func yaml(of magnitude: Double) -> String { String(Int(magnitude)) }
    public static func neighbour(of magnitude: Double, up: Bool) -> Double { magnitude + (up ? 1 : -1) }
}

extension UInt64: ConfigValue {
    public static let schemaType = "integer"
    public static let expectation = "an integer"
    public var yamlText: String { String(self) }
}

extension Double: BoundedConfigValue {
    public static let schemaType = "number"
    public static let noun = "number"
    public static func number(_ bound: Double) -> Double { bound }
    public var rangeValue: Double? { self }
    public static func text(of magnitude: Double) -> String { plainNumber(magnitude) }
    public static func neighbour(of magnitude: Double, up: Bool) -> Double { up ? magnitude.nextUp : magnitude.nextDown }
}

extension Float: BoundedConfigValue {
    public static let schemaType = "number"
    public static let noun = "number"
    public static func number(_ bound: Double) -> Double { bound }
    public var rangeValue: Double? { Double(self) }
    public static func text(of magnitude: Double) -> String {
        magnitude == magnitude.rounded() && abs(magnitude) < 1e15 ? String(Int64(magnitude)) : "\(Float(magnitude))"
    }
    public static func yaml(of magnitude: Double) -> String { "\(Float(magnitude))" }
    public static func neighbour(of magnitude: Double, up: Bool) -> Double {
        Double(up ? Float(magnitude).nextUp : Float(magnitude).nextDown)
    }
}

extension Bool: ConfigValue {
    public static let schemaType = "boolean"
    public static let expectation = "true or false"
    public var yamlText: String { self ? "true" : "false" }
}

extension String: ConfigValue {
    public static let schemaType = "string"
    public static let expectation = "a string"
    public var yamlText: String { "\"\(self)\"" }
}

extension Optional: ConfigValue where Wrapped: ConfigValue {
    public static var schemaType: String { Wrapped.schemaType }
    public static var unit: String { Wrapped.unit }
    public static var expectation: String { Wrapped.expectation }
    public static var choices: [String] { Wrapped.choices }
    public var yamlText: String { map(\.yamlText) ?? "null" }
}

extension Optional: BoundedConfigValue where Wrapped: BoundedConfigValue {
    public typealias Bound = Wrapped.Bound
    public static func number(_ bound: Wrapped.Bound) -> Double { Wrapped.number(bound) }
    public var rangeValue: Double? { flatMap(\.rangeValue) }
    public static func text(of magnitude: Double) -> String { Wrapped.text(of: magnitude) }
    public static func yaml(of magnitude: Double) -> String { Wrapped.yaml(of: magnitude) }
    public static func neighbour(of magnitude: Double, up: Bool) -> Double { Wrapped.neighbour(of: magnitude, up: up) }
    public static var noun: String { Wrapped.noun }
}

extension Quantity: BoundedConfigValue {
    public static var schemaType: String { "quantity" }
    public static var unit: String { D.baseUnit }
    public static var expectation: String { "a number in \(D.baseUnit) or a string with a unit" }
    public static var noun: String { D.name }
    public static func number(_ bound: Double) -> Double { bound }
    public var rangeValue: Double? { value }
    /// `10GHz`; a zero bound as plain `0`.
    public static func text(of magnitude: Double) -> String { magnitude == 0 ? "0" : Quantity(magnitude).description }
    public var yamlText: String { description }
    public static func neighbour(of magnitude: Double, up: Bool) -> Double { up ? magnitude.nextUp : magnitude.nextDown }
}
