import Foundation

/// A physical dimension: its SI base unit and the other unit names it accepts.
public protocol PhysicalDimension: Sendable {
    /// The SI base unit symbol, for example `"S"`.
    static var baseUnit: String { get }
    /// Extra unit symbols with their factor to the base unit (for example `"h": 3600` for time).
    static var extraUnits: [String: Double] { get }
    /// A human name used in messages, for example `"conductance"`.
    static var name: String { get }
    /// Units larger than the base unit for reading, smallest first (for time `min`, `h`, `d`, `week`,
    /// `year`); a dimension with none shows large values with SI prefixes instead.
    static var namedUnits: [NamedUnit] { get }
}

extension PhysicalDimension {
    public static var extraUnits: [String: Double] { [:] }
    public static var namedUnits: [NamedUnit] { [] }
}

/// A unit shown by name when a quantity is formatted for reading, such as `week` for 604 800 s.
public struct NamedUnit: Sendable, Equatable {
    public var singular: String
    public var plural: String
    /// The unit in base units.
    public var factor: Double

    public init(_ singular: String, plural: String? = nil, factor: Double) {
        self.singular = singular
        self.plural = plural ?? singular
        self.factor = factor
    }
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
    public static let namedUnits = [
        NamedUnit("min", factor: 60), NamedUnit("h", factor: 3600), NamedUnit("d", factor: 86_400),
        NamedUnit("week", plural: "weeks", factor: 604_800), NamedUnit("year", plural: "years", factor: 31_536_000),
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
    public static let namedUnits = [
        NamedUnit("KiB", factor: 1024), NamedUnit("MiB", factor: 1_048_576), NamedUnit("GiB", factor: 1_073_741_824),
    ]
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

    /// Encodes the text with a unit when it parses back to exactly the value, else the number in base units.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if (try? Quantity(parsing: description))?.value.bitPattern == value.bitPattern {
            try container.encode(description)
        } else {
            try container.encode(value)
        }
    }

    /// The value with an SI prefix, for example `"25uS"`, or as a whole number of a larger unit such as
    /// `"1h"` or `"64KiB"`; parses back to the same value.
    public var description: String { QuantityParser.format(value, baseUnit: D.baseUnit, extraUnits: D.extraUnits) }

    /// The value for reading (not for parsing back): a whole number of a named unit (`"1 week"`, `"30 d"`),
    /// else `significantDigits` digits in engineering notation (`"67.0 uJ"`, `"1.28 s"`, `"1.39 h"`).
    public func formatted(significantDigits: Int = 3) -> String {
        QuantityParser.readable(value, baseUnit: D.baseUnit, namedUnits: D.namedUnits,
                                significantDigits: significantDigits)
    }

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
        let (prefix, scale) = siPrefix(for: abs(value), baseUnit: baseUnit, upToBase: false)
        return "\(shortest(value / scale))\(prefix)\(baseUnit)"
    }

    /// Formats a base-unit value for reading: a whole number of the largest named unit that divides it
    /// (`"1 week"`, `"30 d"`, `"2 years"`); else `significantDigits` digits with the SI prefix that keeps the
    /// mantissa in [1, 1000) (`"67.0 uJ"`, `"77.9 s"`), where a dimension with named units uses the largest
    /// named unit not above the value once it reaches 1000 base units (`"1.39 h"`, `"1.46 KiB"`). Kelvin and
    /// bytes take no SI prefixes.
    public static func readable(_ value: Double, baseUnit: String, namedUnits: [NamedUnit] = [],
                                significantDigits: Int = 3) -> String {
        guard value != 0, value.isFinite else { return "\(value == 0 ? "0" : "\(value)") \(baseUnit)" }
        let digits = max(1, significantDigits)
        if let unit = namedUnits.last(where: { abs(value) >= $0.factor && (value / $0.factor).rounded() == value / $0.factor }) {
            let count = value / unit.factor
            return "\(shortest(count)) \(abs(count) == 1 ? unit.singular : unit.plural)"
        }
        let rounded = roundedToSignificant(value, digits)
        let magnitude = abs(rounded)
        if magnitude >= 1000, let unit = namedUnits.last(where: { magnitude >= $0.factor }) {
            return "\(fixed(roundedToSignificant(value / unit.factor, digits), digits)) \(unit.plural)"
        }
        let (prefix, scale) = baseUnit == "K" || baseUnit == "B"
            ? ("", 1.0) : siPrefix(for: magnitude, baseUnit: baseUnit, upToBase: !namedUnits.isEmpty)
        return "\(fixed(rounded / scale, digits)) \(prefix)\(baseUnit)"
    }

    /// The SI prefix whose scale keeps `magnitude` in [1, 1000) (the smallest prefix for tinier values), and
    /// that scale; areas scale with the square of the length prefix. `upToBase` stops at the base unit.
    private static func siPrefix(for magnitude: Double, baseUnit: String, upToBase: Bool) -> (String, Double) {
        let candidates: [(String, Double)] = baseUnit == "m2"
            ? [("u", 1e-12), ("m", 1e-6), ("", 1)]
            : [("f", 1e-15), ("p", 1e-12), ("n", 1e-9), ("u", 1e-6), ("m", 1e-3), ("", 1),
               ("k", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12)]
        var chosen = candidates[0]
        for candidate in candidates where magnitude >= candidate.1 * 0.9999999999 {
            if upToBase && candidate.1 > 1 { break }
            chosen = candidate
        }
        return chosen
    }

    /// `value` rounded to `digits` significant digits.
    private static func roundedToSignificant(_ value: Double, _ digits: Int) -> Double {
        let exponent = Int((log10(abs(value))).rounded(.down))
        let scale = pow(10, Double(digits - 1 - exponent))
        return (value * scale).rounded() / scale
    }

    /// A mantissa in [1, 1000) with as many decimals as leave `digits` significant digits (`67.0`, `4.07`, `324`).
    private static func fixed(_ mantissa: Double, _ digits: Int) -> String {
        let integerDigits = abs(mantissa) < 1 ? 1 : Int(log10(abs(mantissa) * (1 + 1e-12)).rounded(.down)) + 1
        return String(format: "%.\(max(0, digits - integerDigits))f", mantissa)
    }

    private static func shortest(_ value: Double) -> String {
        let rounded = (value * 1e9).rounded() / 1e9
        if rounded == rounded.rounded(), abs(rounded) < 1e15 { return String(Int64(rounded)) }
        return "\(rounded)"
    }
}
