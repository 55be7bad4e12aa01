import ACIMCore
import Foundation

/// Reading and writing the safetensors container: an 8-byte little-endian header length, a JSON header
/// mapping tensor names to `{dtype, shape, data_offsets}` (plus a string map `__metadata__`), then raw
/// little-endian data. acimsim stores Float32 (`F32`) tensors only.
public enum SafeTensors {
    public struct Contents: Sendable {
        public var tensors: [String: Tensor]
        public var metadata: [String: String]

        public init(tensors: [String: Tensor], metadata: [String: String]) {
            self.tensors = tensors
            self.metadata = metadata
        }
    }

    /// Parses a safetensors file's bytes; `path` names the file in errors.
    public static func decode(_ bytes: Data, path: String) throws -> Contents {
        func bad(_ reason: String) -> ACIMError { .malformedFile(path: path, reason: reason) }
        guard bytes.count >= 8 else { throw bad("\(bytes.count) bytes: expected at least the 8-byte header length") }
        guard bytes.count == 8 || bytes[bytes.startIndex + 8] == UInt8(ascii: "{") else {
            throw bad("not a safetensors file: expected an 8-byte header length, then a JSON header")
        }
        let headerLength = bytes.prefix(8).enumerated().reduce(UInt64(0)) { $0 | (UInt64($1.element) << (8 * UInt64($1.offset))) }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw bad("header length \(headerLength) exceeds the \(bytes.count - 8) bytes after it (truncated file?)")
        }
        let dataStart = 8 + Int(headerLength)
        let header = bytes.subdata(in: (bytes.startIndex + 8)..<(bytes.startIndex + dataStart))
        guard let json = try? JSONSerialization.jsonObject(with: header), let entries = json as? [String: Any] else {
            throw bad("the header is not a JSON object")
        }
        let dataLength = bytes.count - dataStart
        var metadata: [String: String] = [:]
        var tensors: [String: Tensor] = [:]
        for (name, value) in entries {
            if name == "__metadata__" {
                guard let map = value as? [String: String] else { throw bad("__metadata__ must map strings to strings") }
                metadata = map
                continue
            }
            guard let entry = value as? [String: Any] else { throw bad("tensor \"\(name)\": expected an object") }
            guard let dtype = entry["dtype"] as? String else { throw bad("tensor \"\(name)\": missing dtype") }
            guard dtype == "F32" else { throw bad("tensor \"\(name)\" has dtype \(dtype): expected F32") }
            guard let shape = entry["shape"] as? [Int], shape.allSatisfy({ $0 >= 0 }) else {
                throw bad("tensor \"\(name)\": expected shape as a list of non-negative integers")
            }
            guard let offsets = entry["data_offsets"] as? [Int], offsets.count == 2 else {
                throw bad("tensor \"\(name)\": expected data_offsets [begin, end]")
            }
            guard let count = checkedProduct(shape), count <= Int.max / 4 else { throw bad("tensor \"\(name)\": shape \(shape) is too large") }
            guard offsets[0] >= 0, offsets[1] >= offsets[0], offsets[1] <= dataLength else {
                throw bad("tensor \"\(name)\": data_offsets \(offsets) outside the \(dataLength) data bytes (truncated file?)")
            }
            guard offsets[1] - offsets[0] == 4 * count else {
                throw bad("tensor \"\(name)\": \(offsets[1] - offsets[0]) bytes for shape \(shape): expected \(4 * count)")
            }
            var values = [Float](repeating: 0, count: count)
            let begin = bytes.startIndex + dataStart + offsets[0]
            values.withUnsafeMutableBytes { raw in
                _ = bytes.copyBytes(to: raw, from: begin..<(begin + 4 * count))
            }
            let data = values.map { Float(bitPattern: UInt32(littleEndian: $0.bitPattern)) }
            if let index = data.firstIndex(where: { !$0.isFinite }) {
                throw ACIMError.malformedFile(path: path, reason: "tensor \"\(name)\" holds \(data[index]) at element \(index): expected finite numbers")
            }
            tensors[name] = Tensor(shape: shape, data: data)
        }
        return Contents(tensors: tensors, metadata: metadata)
    }

    /// The file bytes of `contents`, tensors in name order, header padded with spaces to 8 bytes.
    public static func encode(_ contents: Contents) throws -> Data {
        var header: [String: Any] = ["__metadata__": contents.metadata]
        var offset = 0
        let names = contents.tensors.keys.sorted()
        for name in names {
            let tensor = contents.tensors[name]!
            header[name] = ["dtype": "F32", "shape": tensor.shape, "data_offsets": [offset, offset + 4 * tensor.count]] as [String: Any]
            offset += 4 * tensor.count
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var bytes = Data()
        bytes.reserveCapacity(8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(json)
        for name in names {
            let words = contents.tensors[name]!.data.map { $0.bitPattern.littleEndian }
            words.withUnsafeBytes { bytes.append(contentsOf: $0) }
        }
        return bytes
    }
}
