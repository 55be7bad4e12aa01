import Foundation

/// A physical dimension: its SI base unit and the other unit names it accepts.
public protocol PhysicalDimension: Sendable {
    /// The SI base unit symbol, for example `"S"`.
    static var baseUnit: String { get }
    /// Extra unit symbols with their factor to the base unit (for example `"h": 3600` for time).
    static var extraUnits: [String: Double] { get }
    /// A human name used in messages, for example `"conductance"`.
    static var name: String { get }
}

extension PhysicalDimension {
    public static var extraUnits: [String: Double] { [:] }
}

public enum Conductance: PhysicalDimension {
    public static let baseUnit = "S"
    public static let name = "conductance"
}

public enum Duration: PhysicalDimension {
    public static let baseUnit = "s"
    public static let name = "time"
    public static let extraUnits: [String: Double] = [
        "min": 60, "h": 3600, "d": 86_400, "w": 604_800, "week": 604_800, "y": 31_536_000,
    ]
}

public enum Energy: PhysicalDimension {
    public static let baseUnit = "J"
    public static let name = "energy"
}

public enum Power: PhysicalDimension {
    public static let baseUnit = "W"
    public static let name = "power"
}

public enum Frequency: PhysicalDimension {
    public static let baseUnit = "Hz"
    public static let name = "frequency"
}

public enum Area: PhysicalDimension {
    public static let baseUnit = "m2"
    public static let name = "area"
}

public enum Length: PhysicalDimension {
    public static let baseUnit = "m"
    public static let name = "length"
}

public enum Voltage: PhysicalDimension {
    public static let baseUnit = "V"
    public static let name = "voltage"
}

public enum Temperature: PhysicalDimension {
    public static let baseUnit = "K"
    public static let name = "temperature"
}

public enum Bytes: PhysicalDimension {
    public static let baseUnit = "B"
    public static let name = "size in bytes"
    public static let extraUnits: [String: Double] = ["KiB": 1024, "MiB": 1_048_576, "GiB": 1_073_741_824]
}

/// A value of a physical dimension in SI base units. Decodes from a number (base units) or a string with
/// a unit, such as `"25uS"`, `"250ns"`, `"1.2pJ"`, `"0.5mm2"`, `"1GHz"`, `"1h"`, `"300K"`, `"25C"`.
public struct Quantity<D: PhysicalDimension>: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The value in SI base units.
    public var value: Double

    public init(_ value: Double) { self.value = value }

    /// Parses `"25uS"`-style text; a bare number is taken in base units.
    public init(parsing text: String) throws {
        self.value = try QuantityParser.parse(text, baseUnit: D.baseUnit, extraUnits: D.extraUnits,
                                              dimensionName: D.name)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Double.self) {
            value = number
        } else if let text = try? container.decode(String.self) {
            do {
                value = try QuantityParser.parse(text, baseUnit: D.baseUnit, extraUnits: D.extraUnits,
                                                 dimensionName: D.name)
            } catch let error as ACIMError {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
            }
        } else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "expected a \(D.name) as a number in \(D.baseUnit) or a string with a unit")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// The value with an SI prefix, for example `"25uS"`, or as a whole number of a larger unit such as
    /// `"1h"` or `"64KiB"`; parses back to the same value.
    public var description: String { QuantityParser.format(value, baseUnit: D.baseUnit, extraUnits: D.extraUnits) }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }
}

/// Parsing and formatting of quantities with SI prefixes.
public enum QuantityParser {
    /// SI prefixes as powers of ten.
    static let prefixes: [(String, Int)] = [
        ("f", -15), ("p", -12), ("n", -9), ("u", -6), ("µ", -6), ("m", -3),
        ("k", 3), ("M", 6), ("G", 9), ("T", 12),
    ]

    /// Parses `text` into base units of a dimension.
    public static func parse(_ text: String, baseUnit: String, extraUnits: [String: Double],
                             dimensionName: String) throws -> Double {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let expected = "a \(dimensionName) such as \"1.5\(exampleUnit(baseUnit, extraUnits))\" (units: "
            + unitList(baseUnit, extraUnits) + ")"
        // Split into the numeric part and the unit part.
        var numberEnd = trimmed.startIndex
        for index in trimmed.indices {
            let ch = trimmed[index]
            if ch.isNumber || ch == "." || ch == "-" || ch == "+" {
                numberEnd = trimmed.index(after: index)
            } else if (ch == "e" || ch == "E"), index != trimmed.startIndex,
                      let next = trimmed.index(index, offsetBy: 1, limitedBy: trimmed.endIndex),
                      next < trimmed.endIndex, trimmed[next].isNumber || trimmed[next] == "-" || trimmed[next] == "+" {
                numberEnd = trimmed.index(after: index)
            } else {
                break
            }
        }
        guard let number = Double(trimmed[..<numberEnd]), number.isFinite else {
            throw ACIMError.invalidQuantity(text: text, expected: expected)
        }
        let unit = trimmed[numberEnd...].trimmingCharacters(in: .whitespaces)
        if unit.isEmpty { return number }
        if baseUnit == "K" && unit == "C" { return number + 273.15 }
        guard let (exponent, multiplier) = factor(of: unit, baseUnit: baseUnit, extraUnits: extraUnits) else {
            throw ACIMError.invalidQuantity(text: text, expected: expected)
        }
        return scaled(String(trimmed[..<numberEnd]), byPowerOfTen: exponent) * multiplier
    }

    /// The unit as a power of ten times a multiplier, or nil when the unit is not one of the dimension's.
    private static func factor(of unit: String, baseUnit: String,
                               extraUnits: [String: Double]) -> (Int, Double)? {
        if unit == baseUnit { return (0, 1) }
        if let extra = extraUnits[unit] { return (0, extra) }
        for (prefix, exponent) in prefixes where unit.hasPrefix(prefix) {
            let rest = String(unit.dropFirst(prefix.count))
            if rest == baseUnit {
                // Areas scale with the square of the length prefix: 1 mm2 = 1e-6 m2.
                return (baseUnit == "m2" ? 2 * exponent : exponent, 1)
            }
            if let extra = extraUnits[rest] { return (exponent, extra) }
        }
        return nil
    }

    /// `number × 10^exponent`, correctly rounded: the exponent is folded into the decimal text
    /// so that "25uS" parses to exactly the double nearest 25e-6.
    private static func scaled(_ number: String, byPowerOfTen exponent: Int) -> Double {
        var mantissa = Substring(number)
        var total = exponent
        if let e = number.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = number[..<e]
            total += Int(number[number.index(after: e)...]) ?? 0
        }
        return Double("\(mantissa)e\(total)") ?? .nan
    }

    private static func unitList(_ baseUnit: String, _ extraUnits: [String: Double]) -> String {
        var units = ["p", "n", "u", "m", "", "k", "M", "G"].map { $0 + baseUnit }
        if baseUnit == "m2" { units = ["um2", "mm2", "m2"] }
        if baseUnit == "K" { units = ["K", "C"] }
        units += extraUnits.keys.sorted()
        return units.joined(separator: ", ")
    }

    private static func exampleUnit(_ baseUnit: String, _ extraUnits: [String: Double]) -> String {
        switch baseUnit {
        case "S": return "uS"
        case "s": return "ns"
        case "J": return "pJ"
        case "m2": return "mm2"
        case "Hz": return "GHz"
        default: return baseUnit
        }
    }

    /// Formats a base-unit value as a whole number of its largest fitting extra unit (`"1h"`, `"64KiB"`), else
    /// with the SI prefix that keeps the mantissa in [1, 1000).
    public static func format(_ value: Double, baseUnit: String, extraUnits: [String: Double] = [:]) -> String {
        let whole = extraUnits.filter { abs(value) >= $0.value && (value / $0.value).rounded() == value / $0.value }
        if let (unit, factor) = whole.max(by: { ($0.value, -$0.key.count) < ($1.value, -$1.key.count) }) {
            return "\(shortest(value / factor))\(unit)"
        }
        if value == 0 || !value.isFinite || baseUnit == "K" || baseUnit == "B" {
            return "\(shortest(value))\(baseUnit)"
        }
        let magnitude = abs(value)
        let candidates: [(String, Double)] = baseUnit == "m2"
            ? [("u", 1e-6), ("m", 1e-3), ("", 1)]
            : [("f", 1e-15), ("p", 1e-12), ("n", 1e-9), ("u", 1e-6), ("m", 1e-3), ("", 1),
               ("k", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12)]
        var chosen = candidates[0]
        for candidate in candidates {
            let scale = baseUnit == "m2" ? candidate.1 * candidate.1 : candidate.1
            if magnitude >= scale * 0.9999999999 { chosen = candidate }
        }
        let scale = baseUnit == "m2" ? chosen.1 * chosen.1 : chosen.1
        return "\(shortest(value / scale))\(chosen.0)\(baseUnit)"
    }

    private static func shortest(_ value: Double) -> String {
        let rounded = (value * 1e9).rounded() / 1e9
        if rounded == rounded.rounded(), abs(rounded) < 1e15 { return String(Int64(rounded)) }
        return "\(rounded)"
    }
}
