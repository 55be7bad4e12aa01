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
        let q = roundHalfEven(x / scale)
        let range = codeRange
        return Int(min(max(q, Double(range.lowerBound)), Double(range.upperBound)))
    }

    /// The real value of a code.
    @inlinable
    public func value(_ code: Int) -> Double { Double(code) * scale }
}
