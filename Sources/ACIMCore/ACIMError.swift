/// The errors the simulator reports to a user: each names what was wrong and what was expected.
public enum ACIMError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A parameter outside its allowed range or set.
    case invalidParameter(name: String, value: String, expected: String)
    /// A configuration key whose value is wrong, located by its key path (for example `periphery.adc.bits`).
    case invalidConfiguration(path: String, message: String)
    /// Two parameters that cannot hold together.
    case inconsistentParameters(String)
    /// Shapes that do not fit each other or the hardware.
    case shapeMismatch(String)
    /// A file that could not be read or written.
    case io(path: String, reason: String)
    /// A file whose content is not what its format requires.
    case malformedFile(path: String, reason: String)
    /// A quantity string such as `"25uS"` that could not be parsed.
    case invalidQuantity(text: String, expected: String)
    /// A request beyond what the machine can hold.
    case resourceLimit(String)

    public var description: String {
        switch self {
        case let .invalidParameter(name, value, expected):
            return "invalid \(name) = \(value): expected \(expected)"
        case let .invalidConfiguration(path, message):
            return "invalid \(path): \(message)"
        case let .inconsistentParameters(message):
            return "inconsistent parameters: \(message)"
        case let .shapeMismatch(message):
            return "shape mismatch: \(message)"
        case let .io(path, reason):
            return "\(path): \(reason)"
        case let .malformedFile(path, reason):
            return "\(path): malformed file: \(reason)"
        case let .invalidQuantity(text, expected):
            return "invalid quantity \"\(text)\": expected \(expected)"
        case let .resourceLimit(message):
            return "resource limit: \(message)"
        }
    }
}

/// Checks an integer parameter against a closed range.
public func require(_ value: Int, in range: ClosedRange<Int>, _ name: String) throws {
    guard range.contains(value) else {
        throw ACIMError.invalidParameter(name: name, value: "\(value)",
                                         expected: "an integer in \(range.lowerBound)...\(range.upperBound)")
    }
}

/// Checks a real parameter against a closed range.
public func require(_ value: Double, in range: ClosedRange<Double>, _ name: String) throws {
    guard range.contains(value), value.isFinite else {
        throw ACIMError.invalidParameter(name: name, value: "\(value)",
                                         expected: "a number in [\(range.lowerBound), \(range.upperBound)]")
    }
}
