import ACIMCore
import Foundation

/// An error the command line reports as one message and a non-zero exit, without usage text.
struct CLIError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}

/// The value of `option` given as a quantity such as `25uS` or `1d`, in base units.
func parseQuantity<D: PhysicalDimension>(_ text: String, _ option: String, as _: D.Type) throws -> Double {
    do {
        return try Quantity<D>(parsing: text).value
    } catch let error as ACIMError {
        throw CLIError("\(option): \(error)")
    }
}

/// Parses a comma-separated list of quantities such as `0.25uS,5uS` or `0,1s,1h`; at least one.
func parseQuantities<D: PhysicalDimension>(_ text: String, _ option: String, as dimension: D.Type) throws -> [Double] {
    let items = text.split(separator: ",", omittingEmptySubsequences: false)
    guard !text.isEmpty else { throw CLIError("\(option): expected at least one \(D.name), got an empty list") }
    return try items.map { try parseQuantity(String($0), option, as: dimension) }
}

/// Throws unless `value` lies in `range`; `option` names the option in the message.
func check<T: Comparable>(_ value: T, in range: ClosedRange<T>, _ option: String) throws {
    guard range.contains(value) else {
        throw CLIError("\(option): expected a value in \(number(range.lowerBound))...\(number(range.upperBound)), got \(number(value))")
    }
}

/// A number as a user writes it: `1` rather than `1.0`.
private func number<T>(_ value: T) -> String {
    if let real = value as? any BinaryFloatingPoint {
        let double = Double(real)
        return double == double.rounded() && abs(double) < 1e15 ? String(Int64(double)) : "\(double)"
    }
    return "\(value)"
}

/// Throws unless the integer `value` is at least `minimum`.
func check(_ value: Int, atLeast minimum: Int, _ option: String) throws {
    guard value >= minimum else { throw CLIError("\(option): expected an integer >= \(minimum), got \(value)") }
}

/// Throws when an option was given that the chosen mode ignores: `given` lists each option with whether it
/// was given; `reason` says why they have no effect.
func rejectIgnored(_ given: [(option: String, isGiven: Bool)], because reason: String) throws {
    let ignored = given.filter(\.isGiven).map(\.option)
    guard !ignored.isEmpty else { return }
    throw CLIError("\(ignored.joined(separator: ", ")): no effect because \(reason); leave \(ignored.count == 1 ? "it" : "them") out")
}

/// The path with symbolic links and `.`/`..` resolved, to compare two names of one file.
func resolvedPath(_ path: String) -> String {
    URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
}
