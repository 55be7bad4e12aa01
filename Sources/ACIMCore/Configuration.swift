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

/// The description of one configuration key, from which `acim profile schema` is generated.
public struct ConfigField: Sendable, Equatable {
    public var key: String
    /// `integer`, `number`, `boolean`, `string`, an enumeration such as `differential | offset`,
    /// a quantity such as `quantity (S)`, or `section` for a nested component.
    public var type: String
    /// The default as it would be written in YAML; empty for sections.
    public var defaultValue: String
    /// The allowed values, for example `1...4`; empty when any value of the type is allowed.
    public var allowed: String
    public var doc: String
    /// The fields of a nested section.
    public var children: [ConfigField]

    public init(_ key: String, _ type: String, default defaultValue: String = "", allowed: String = "",
                _ doc: String, children: [ConfigField] = []) {
        self.key = key
        self.type = type
        self.defaultValue = defaultValue
        self.allowed = allowed
        self.doc = doc
        self.children = children
    }
}

/// A component configuration: decodable with every key optional (defaults fill the rest), described by
/// its fields, and able to list every problem it has at once.
public protocol ComponentConfiguration: Codable, Sendable, Equatable {
    /// Every key, in the order a resolved profile prints them.
    static var fields: [ConfigField] { get }
    /// All problems of this configuration, empty when it is valid.
    func validate() -> [ConfigIssue]
}

extension ComponentConfiguration {
    /// A `section` field describing this component under `key`.
    public static func section(_ key: String, _ doc: String) -> ConfigField {
        ConfigField(key, "section", doc, children: fields)
    }

    /// Throws the first issue, for callers that do not collect them.
    public func validated() throws -> Self {
        if let first = validate().first {
            throw ACIMError.invalidConfiguration(path: first.path.joined(separator: "."), message: first.message)
        }
        return self
    }
}

/// Helpers that keep `validate()` implementations to one line per rule.
public struct IssueCollector {
    public private(set) var issues: [ConfigIssue] = []

    public init() {}

    /// Records an issue at `key` unless `value` lies in `range`.
    public mutating func check(_ value: Int, in range: ClosedRange<Int>, _ key: String) {
        if !range.contains(value) {
            issues.append(ConfigIssue(path: [key],
                                      message: "expected an integer in \(range.lowerBound)...\(range.upperBound), got \(value)"))
        }
    }

    /// Records an issue at `key` unless `value` lies in `range`.
    public mutating func check(_ value: Double, in range: ClosedRange<Double>, _ key: String) {
        if !(range.contains(value) && value.isFinite) {
            issues.append(ConfigIssue(path: [key],
                                      message: "expected a number in [\(range.lowerBound), \(range.upperBound)], got \(value)"))
        }
    }

    /// Records `message` at `key` when `condition` is false.
    public mutating func require(_ condition: Bool, _ key: String, _ message: String) {
        if !condition { issues.append(ConfigIssue(path: [key], message: message)) }
    }

    /// Adds the issues of a nested component under `key`.
    public mutating func nest(_ key: String, _ nested: [ConfigIssue]) {
        issues += nested.map { $0.nested(under: key) }
    }
}

extension KeyedDecodingContainer {
    /// The value at `key`, or `fallback` when the key is absent.
    public func value<T: Decodable>(_ key: Key, default fallback: @autoclosure () -> T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? fallback()
    }
}
