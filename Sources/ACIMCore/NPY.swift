import Foundation

/// A NumPy `.npy` array: its shape and its values widened to `Double`.
public struct NPYArray: Equatable, Sendable {
    public var shape: [Int]
    public var values: [Double]

    public init(shape: [Int], values: [Double]) {
        precondition(shape.reduce(1, *) == values.count, "shape does not match value count")
        self.shape = shape
        self.values = values
    }

    /// Reads a `.npy` file (format 1.0, 2.0 or 3.0; little-endian or byte-sized integer and float dtypes;
    /// C order).
    public static func read(path: String) throws -> NPYArray {
        try parse(FileAccess.contents(of: path), path: path)
    }

    /// Parses the bytes of a `.npy` file; `path` names it in errors.
    public static func parse(_ data: Data, path: String) throws -> NPYArray {
        try parse(data, path: path, memory: ProcessInfo.processInfo.physicalMemory)
    }

    /// The shape and bytes per element a `.npy` file declares, from its header alone (nothing else is read).
    public static func declaredShape(path: String) throws -> (shape: [Int], elementSize: Int) {
        if let problem = FileAccess.problem(reading: path) { throw ACIMError.io(path: path, reason: problem) }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ACIMError.io(path: path, reason: "cannot read the file") }
        defer { try? handle.close() }
        let start = [UInt8]((try? handle.read(upToCount: 12)) ?? Data())
        let length = start.count < 12 ? 0 : start[6] == 1 ? Int(start[8]) | Int(start[9]) << 8
            : Int(start[8]) | Int(start[9]) << 8 | Int(start[10]) << 16 | Int(start[11]) << 24
        let rest = [UInt8]((try? handle.read(upToCount: min(length, 1 << 20))) ?? Data())
        let header = try header(start + rest, path: path)
        return (header.shape, header.element.size)
    }

    /// `parse(_:path:)` on a machine with `memory` bytes, which the values widened to `Double` must fit in.
    static func parse(_ data: Data, path: String, memory: UInt64) throws -> NPYArray {
        let bytes = [UInt8](data)
        let (shape, element, payloadStart) = try header(bytes, path: path)
        let count = shape.reduce(1, *)
        guard bytes.count - payloadStart >= count * element.size else {
            throw ACIMError.malformedFile(path: path, reason: "truncated data: shape \(shape) needs \(count * element.size) bytes, "
                                          + "file has \(bytes.count - payloadStart)")
        }
        guard UInt64(count) <= memory / UInt64(MemoryLayout<Double>.size) else {
            throw ACIMError.resourceLimit("\(path): the \(count) values of shape \(shape) take \(count) x 8 bytes as Double, "
                                          + "more than the \(memory) bytes of memory")
        }
        var values = [Double](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            for i in 0..<count {
                values[i] = element.read(raw, at: payloadStart + i * element.size)
            }
        }
        return NPYArray(shape: shape, values: values)
    }

    /// The shape, element type and payload offset of the header at the start of `bytes`.
    private static func header(_ bytes: [UInt8], path: String) throws -> (shape: [Int], element: NPYElement, payloadStart: Int) {
        func fail(_ reason: String) -> ACIMError { .malformedFile(path: path, reason: reason) }
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw fail("not a .npy file (missing the \\x93NUMPY magic)")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw fail("truncated header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw fail("unsupported format version \(major) (expected 1, 2 or 3)")
        }
        guard bytes.count >= headerStart + headerLength else { throw fail("truncated header") }
        guard let header = String(bytes: bytes[headerStart..<(headerStart + headerLength)], encoding: .utf8) else {
            throw fail("header is not text")
        }
        let descr = try headerValue("descr", in: header, path: path)
        let fortran = try headerValue("fortran_order", in: header, path: path)
        let shapeText = try headerValue("shape", in: header, path: path)
        guard fortran == "False" else { throw fail("fortran_order arrays are not supported (save with C order)") }
        let dims = shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "() "))
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var shape: [Int] = []
        for dim in dims {
            guard let n = Int(dim), n >= 0 else { throw fail("bad shape entry '\(dim)'") }
            shape.append(n)
        }
        let dtype = descr.trimmingCharacters(in: CharacterSet(charactersIn: "'\" "))
        guard let element = NPYElement(descr: dtype) else {
            throw fail("unsupported dtype \(dtype) (expected <f4, <f8, <i1..<i8, <u1..<u8 or |b1)")
        }
        // The declared size is checked before anything is allocated for it.
        guard let count = checkedProduct(shape), case (_, false) = count.multipliedReportingOverflow(by: element.size) else {
            throw fail("shape \(shape) of \(dtype) needs more bytes than a file can hold")
        }
        return (shape, element, headerStart + headerLength)
    }

    private static func headerValue(_ key: String, in header: String, path: String) throws -> String {
        guard let keyRange = header.range(of: "'\(key)'") ?? header.range(of: "\"\(key)\"") else {
            throw ACIMError.malformedFile(path: path, reason: "header has no '\(key)'")
        }
        var rest = header[keyRange.upperBound...].drop { $0 == " " || $0 == ":" }
        if rest.first == "(" {
            guard let close = rest.firstIndex(of: ")") else {
                throw ACIMError.malformedFile(path: path, reason: "unterminated '\(key)' tuple")
            }
            return String(rest[...close])
        }
        if let end = rest.firstIndex(where: { $0 == "," || $0 == "}" }) { rest = rest[..<end] }
        return rest.trimmingCharacters(in: .whitespaces)
    }

    /// Writes the array as little-endian float64 (`<f8`), or float32 when `float32` is set.
    public func write(path: String, float32: Bool = false) throws {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(float32 ? "<f4" : "<f8")', 'fortran_order': False, 'shape': \(shapeText), }"
        let total = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        var out = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        let length = UInt16(header.utf8.count)
        out.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        out.append(contentsOf: Array(header.utf8))
        for value in values {
            if float32 {
                withUnsafeBytes(of: Float(value).bitPattern.littleEndian) { out.append(contentsOf: $0) }
            } else {
                withUnsafeBytes(of: value.bitPattern.littleEndian) { out.append(contentsOf: $0) }
            }
        }
        try FileAccess.write(out, to: path)
    }
}

/// The element types a `.npy` file may hold.
private enum NPYElement {
    case float32, float64, signed(Int), unsigned(Int), bool

    init?(descr: String) {
        let order = descr.first
        guard order == "<" || order == "|" || order == "=" else { return nil }
        switch descr.dropFirst() {
        case "f4": self = .float32
        case "f8": self = .float64
        case "i1": self = .signed(1)
        case "i2": self = .signed(2)
        case "i4": self = .signed(4)
        case "i8": self = .signed(8)
        case "u1": self = .unsigned(1)
        case "u2": self = .unsigned(2)
        case "u4": self = .unsigned(4)
        case "u8": self = .unsigned(8)
        case "b1": self = .bool
        default: return nil
        }
    }

    var size: Int {
        switch self {
        case .float32: return 4
        case .float64: return 8
        case let .signed(n), let .unsigned(n): return n
        case .bool: return 1
        }
    }

    func read(_ raw: UnsafeRawBufferPointer, at offset: Int) -> Double {
        switch self {
        case .float32: return Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self))))
        case .float64: return Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
        case .signed(1): return Double(raw.loadUnaligned(fromByteOffset: offset, as: Int8.self))
        case .signed(2): return Double(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int16.self)))
        case .signed(4): return Double(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
        case .signed(_): return Double(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int64.self)))
        case .unsigned(1), .bool: return Double(raw[offset])
        case .unsigned(2): return Double(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
        case .unsigned(4): return Double(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        case .unsigned(_): return Double(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
        }
    }
}
