import CKernels

/// Round half to even, the rounding every quantizer and ADC in the simulator uses.
@inlinable
public func roundHalfEven(_ x: Double) -> Double { x.rounded(.toNearestOrEven) }

/// Symmetric uniform quantization of reals to signed integer codes in `-(2^(bits-1)-1) ... 2^(bits-1)-1`
/// (or unsigned codes in `0 ... 2^bits - 1`), with round-half-even and saturation.
public struct Quantizer: Sendable, Equatable {
    public let bits: Int
    public let signed: Bool
    /// Real value of one code step.
    public let scale: Double

    public init(bits: Int, signed: Bool, scale: Double) throws {
        try require(bits, in: 1...16, "bits")
        guard scale > 0, scale.isFinite else {
            throw ACIMError.invalidParameter(name: "scale", value: "\(scale)", expected: "a positive finite number")
        }
        self.bits = bits
        self.signed = signed
        self.scale = scale
    }

    /// The quantizer whose largest code maps to `maxAbs` (a zero `maxAbs` maps to a unit scale).
    public init(bits: Int, signed: Bool, maxAbs: Double) throws {
        let top = signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1
        let scale = maxAbs > 0 ? maxAbs / Double(max(top, 1)) : 1
        try self.init(bits: bits, signed: signed, scale: scale)
    }

    /// The smallest and largest code.
    public var codeRange: ClosedRange<Int> {
        signed ? (bits == 1 ? -1...1 : -((1 << (bits - 1)) - 1)...((1 << (bits - 1)) - 1)) : 0...((1 << bits) - 1)
    }

    /// The code of a real value.
    @inlinable
    public func code(_ x: Double) -> Int {
        let range = codeRange
        return Int(Quantizer.biasedCode(x, scale: scale, low: Double(range.lowerBound),
                                        high: Double(range.upperBound)) - Quantizer.bias)
    }

    /// `code` of every value, in vectorized passes (`acim_quantize`) over blocks of them on the engines'
    /// threads (`BLAS.threadCount`). Traps on NaN, as `code` does.
    public func codes(_ values: [Float]) -> [Int32] {
        let range = codeRange
        let threads = BLAS.threadCount
        var nans = [Int64](repeating: 0, count: threads)
        let codes = [Int32](unsafeUninitializedCapacity: values.count) { codes, count in
            values.withUnsafeBufferPointer { values in
                nans.withUnsafeMutableBufferPointer { nans in
                    let (input, output, found) = (Unchecked(value: values), Unchecked(value: codes.baseAddress),
                                                  Unchecked(value: nans.baseAddress!))
                    Parallel.forEachRange(values.count, threads: threads, minimum: 65536) { r, part in
                        found.value[r] = acim_quantize(
                            input.value.baseAddress.map { $0 + part.lowerBound }, Int64(part.count), scale,
                            Double(range.lowerBound), Double(range.upperBound), output.value.map { $0 + part.lowerBound })
                    }
                }
            }
            count = values.count
        }
        precondition(nans.allSatisfy { $0 == 0 }, "a NaN value has no code")
        return codes
    }

    /// 1.5 x 2^52: added to a value of magnitude below 2^51, it leaves the value rounded half to even to an
    /// integer, held in the low bits of the sum's significand (two's complement).
    @inlinable static var bias: Double { 0x1.8p52 }

    /// `x / scale` saturated to `low ... high` (integers of at most 16 bits) plus `bias`: the code rounded
    /// half to even, with no library call. Saturating before rounding gives the same code.
    @inlinable
    static func biasedCode(_ x: Double, scale: Double, low: Double, high: Double) -> Double {
        min(max(x / scale, low), high) + bias
    }

    /// The real value of a code.
    @inlinable
    public func value(_ code: Int) -> Double { Double(code) * scale }
}
