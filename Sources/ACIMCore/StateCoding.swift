import Foundation

#if _endian(big)
#error("saved state holds numbers in little-endian byte order")
#endif

/// Saving and restoring simulator state (a chip, its device controller, a report) for checkpoints: JSON
/// with sorted keys, the big arrays as base64 bytes (`Packed`), sets in order (`SortedOnEncode`), so the
/// same state always gives the same bytes and every number comes back bit for bit.
public enum StateCoding {
    /// The encoding of `value`; throws `ACIMError.invalidParameter` naming a value that is not a finite
    /// number, which JSON cannot hold.
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return try encoder.encode(value)
        } catch let EncodingError.invalidValue(value, context) {
            throw ACIMError.invalidParameter(name: keyPath(context.codingPath), value: "\(value)",
                                             expected: "a finite number in saved state")
        }
    }

    /// The value `data` (read from `path`) encodes; throws `ACIMError.malformedFile` naming what is wrong
    /// where.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data, path: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as DecodingError {
            throw ACIMError.malformedFile(path: path, reason: "not saved \(T.self) state: \(describe(error))")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func at(_ context: DecodingError.Context) -> String {
            context.codingPath.isEmpty ? "" : "at \(keyPath(context.codingPath)): "
        }
        switch error {
        case let .typeMismatch(type, context): return at(context) + "expected \(type)"
        case let .valueNotFound(type, context): return at(context) + "expected \(type), found null"
        case let .keyNotFound(key, context): return at(context) + "missing key \(key.stringValue)"
        case let .dataCorrupted(context): return at(context) + context.debugDescription
        @unknown default: return "\(error)"
        }
    }

    private static func keyPath(_ path: [any CodingKey]) -> String {
        path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }
}

/// A number type whose arrays are saved as their bytes: a fixed size and every bit pattern a value.
public protocol PackableElement: BitwiseCopyable, Equatable, Sendable {}

extension Float: PackableElement {}
extension Float16: PackableElement {}
extension Double: PackableElement {}
extension UInt8: PackableElement {}
extension UInt32: PackableElement {}
extension UInt64: PackableElement {}
extension Int32: PackableElement {}

/// An array saved as its elements' bytes (base64 in JSON): exact for every bit pattern, and tens of times
/// faster to write and read than a JSON number per element.
@propertyWrapper
public struct Packed<Element: PackableElement>: Codable, Sendable, Equatable {
    public var wrappedValue: [Element]

    public init(wrappedValue: [Element]) { self.wrappedValue = wrappedValue }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let bytes = try container.decode(Data.self)
        let size = MemoryLayout<Element>.stride
        guard bytes.count % size == 0 else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "\(bytes.count) bytes are not a whole number of \(size)-byte \(Element.self) values")
        }
        wrappedValue = [Element](unsafeUninitializedCapacity: bytes.count / size) { buffer, count in
            count = bytes.copyBytes(to: buffer) / size
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wrappedValue.withUnsafeBytes { Data($0) })
    }
}

/// A set saved in ascending order, so its encoding does not depend on hashing.
@propertyWrapper
public struct SortedOnEncode<Element: Hashable & Comparable & Codable & Sendable>: Codable, Sendable, Equatable {
    public var wrappedValue: Set<Element>

    public init(wrappedValue: Set<Element>) { self.wrappedValue = wrappedValue }

    public init(from decoder: any Decoder) throws {
        wrappedValue = Set(try decoder.singleValueContainer().decode([Element].self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wrappedValue.sorted())
    }
}
