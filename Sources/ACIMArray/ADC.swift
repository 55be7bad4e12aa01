import ACIMCore

/// A column ADC: round-half-even conversion of an analog column sum to a code, with saturation, and the
/// digital decode of the code back to a column sum.
///
/// Column sums are in unit products (input digit x cell level). The full scale is the sum that maps to the
/// top code; when one code step is finer than one unit product, the decoder rounds to whole products,
/// which noise-free sums are.
public struct ADC: Sendable, Equatable {
    public let bits: Int
    /// The top code, `2^bits - 1`.
    public let topCode: Float

    public init(bits: Int) {
        self.bits = bits
        self.topCode = Float((1 << bits) - 1)
    }

    /// The code of an analog column sum `sum` for a full scale `fullScale` (> 0).
    @inlinable
    public func code(_ sum: Float, fullScale: Float) -> Float {
        let q = (sum * (topCode / fullScale)).rounded(.toNearestOrEven)
        return min(max(q, 0), topCode)
    }

    /// The column sum a code stands for.
    @inlinable
    public func decode(_ code: Float, fullScale: Float) -> Double {
        let step = Double(fullScale) / Double(topCode)
        let value = Double(code) * step
        return step < 1 ? value.rounded(.toNearestOrEven) : value
    }

    /// Converts and decodes in one step.
    @inlinable
    public func convert(_ sum: Float, fullScale: Float) -> Double {
        decode(code(sum, fullScale: fullScale), fullScale: fullScale)
    }
}
