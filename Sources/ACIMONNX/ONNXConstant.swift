import ACIMCore
import ACIMNetwork
import Foundation

/// A constant tensor of an ONNX graph: an initializer or the value of a Constant node.
struct ONNXConstant {
    var dims: [Int]
    /// The values in row-major order (float tensors exactly, integer ones up to 2^53).
    var values: [Double]
    var isInteger: Bool

    var floats: [Float] { values.map { Float($0) } }
    /// The values as `count` floats: the one value repeated, or the values as they are.
    func broadcast(to count: Int) -> [Float] { values.count == 1 ? Array(repeating: Float(values[0]), count: count) : floats }
    /// The values as integers (out-of-range ones as `Int.max`, which no shape or axis accepts).
    var integers: [Int] { values.map { abs($0) < 1e15 ? Int($0) : Int.max } }

    /// The float32 tensor of `dims`.
    var tensor: Tensor { Tensor(shape: dims, data: floats) }

    init(dims: [Int], values: [Double], isInteger: Bool) {
        self.dims = dims
        self.values = values
        self.isInteger = isInteger
    }

    /// Reads a tensor proto (float32, float64, int32 or int64, stored inline); `what` names it in errors.
    init(_ proto: Onnx_TensorProto, what: String) throws {
        guard proto.dataLocation == .default, proto.externalData.isEmpty else {
            throw ONNXError("\(what) keeps its data in an external file: export with external_data=False (one self-contained .onnx)")
        }
        guard proto.dims.allSatisfy({ $0 >= 0 && $0 <= Int64(1 << 31) }), let count = checkedProduct(proto.dims.map { Int($0) }),
              count <= 1 << 30 else {
            throw ONNXError("\(what) has dims \(proto.dims): expected non-negative sizes of at most 2^30 elements")
        }
        let raw = proto.rawData
        func values<T>(_ inline: [T], bytes: Int, decode: (UInt64) -> Double, convert: (T) -> Double) throws -> [Double] {
            if !raw.isEmpty || inline.isEmpty && count > 0 {
                guard raw.count == count * bytes else {
                    throw ONNXError("\(what) holds \(raw.count) bytes for dims \(proto.dims): expected \(count * bytes) (\(count) values of \(bytes) bytes)")
                }
                return raw.withUnsafeBytes { buffer in
                    (0..<count).map { index in
                        var word: UInt64 = 0
                        for byte in 0..<bytes { word |= UInt64(buffer[index * bytes + byte]) << (8 * UInt64(byte)) }
                        return decode(word)
                    }
                }
            }
            guard inline.count == count else {
                throw ONNXError("\(what) holds \(inline.count) values for dims \(proto.dims): expected \(count)")
            }
            return inline.map(convert)
        }
        let decoded: [Double]
        switch Onnx_TensorProto.DataType(rawValue: Int(proto.dataType)) {
        case .float?:
            decoded = try values(proto.floatData, bytes: 4, decode: { Double(Float(bitPattern: UInt32($0))) }, convert: { Double($0) })
            if let index = decoded.firstIndex(where: { !$0.isFinite }) {
                throw ONNXError("\(what) holds \(decoded[index]) at element \(index): expected finite numbers")
            }
        case .double?:
            decoded = try values(proto.doubleData, bytes: 8, decode: { Double(bitPattern: $0) }, convert: { $0 })
        case .int64?:
            decoded = try values(proto.int64Data, bytes: 8, decode: { Double(Int64(bitPattern: $0)) }, convert: { Double($0) })
        case .int32?:
            decoded = try values(proto.int32Data, bytes: 4, decode: { Double(Int32(truncatingIfNeeded: $0)) }, convert: { Double($0) })
        default:
            throw ONNXError("\(what) has data type \(proto.dataType): expected float (1), int32 (6), int64 (7) or double (11)")
        }
        let type = Onnx_TensorProto.DataType(rawValue: Int(proto.dataType))
        self.init(dims: proto.dims.map { Int($0) }, values: decoded, isInteger: type == .int64 || type == .int32)
    }
}

/// A problem with an ONNX model, without the file name (the importer adds it).
struct ONNXError: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}
