import ACIMCore
import CKernels

/// A column ADC: round-half-even conversion of an analog column sum to a code, with saturation, and the
/// digital decode of the code back to a column sum.
///
/// Column sums are in unit products (input digit x cell level). The full scale is the sum that maps to the
/// top code; when one code step is finer than one unit product, the decoder rounds to whole products,
/// which noise-free sums are. A bipolar ADC, for signed column sums, spends one bit on the sign: codes
/// `-(2^(bits-1) - 1) ... 2^(bits-1) - 1`, the negative full scale at the bottom code.
public struct ADC: Sendable, Equatable {
    public let bits: Int
    /// The top code: `2^bits - 1`, or `2^(bits-1) - 1` when bipolar.
    public let topCode: Float
    /// The bottom code: 0, or `-topCode` when bipolar.
    public let bottomCode: Float

    public init(bits: Int, bipolar: Bool = false) {
        self.bits = bits
        topCode = Float((1 << (bipolar ? bits - 1 : bits)) - 1)
        bottomCode = bipolar ? -topCode : 0
    }

    /// The ADC of an array: bipolar where its column sums are signed.
    public init(config: CrossbarConfig) {
        self.init(bits: config.periphery.adc.bits, bipolar: CrossbarLayout(config: config).signedSums)
    }

    /// The code of an analog column sum `sum` for a full scale `fullScale` (> 0).
    @inlinable
    public func code(_ sum: Float, fullScale: Float) -> Float {
        ADC.roundHalfEven(min(max(sum * (topCode / fullScale), bottomCode), topCode))
    }

    /// The column sum one code step stands for at full scale `fullScale`.
    @inlinable
    public func step(fullScale: Float) -> Double {
        Double(fullScale) / Double(topCode)
    }

    /// The column sum a code stands for.
    @inlinable
    public func decode(_ code: Float, fullScale: Float) -> Double {
        let step = self.step(fullScale: fullScale)
        let value = Double(code) * step
        return step < 1 ? ADC.roundHalfEven(value) : value
    }

    /// Round half to even of `x` in `-2^22 ... 2^22`: adding and subtracting 1.5 x 2^23 leaves the integer the
    /// hardware rounding mode picks. Unlike `rounded(.toNearestOrEven)` on the baseline x86-64 target, it
    /// is not a library call and vectorizes.
    @inlinable
    public static func roundHalfEven(_ x: Float) -> Float {
        let magic: Float = 0x1.8p23
        return (x + magic) - magic
    }

    /// Round half to even of `x` in `-2^51 ... 2^51`.
    @inlinable
    public static func roundHalfEven(_ x: Double) -> Double {
        let magic = 0x1.8p52
        return (x + magic) - magic
    }

    /// Converts and decodes in one step.
    @inlinable
    public func convert(_ sum: Float, fullScale: Float) -> Double {
        decode(code(sum, fullScale: fullScale), fullScale: fullScale)
    }
}

extension ADC {
    /// What a conversion at one full scale needs: the code per unit of sum and the sum per code.
    public struct Scale: Sendable {
        public let factor: Float
        public let step: Double
        /// Whether a step finer than one unit decodes every code of the ADC to the same whole unit product
        /// in single precision as in double (`code * Float(step)` rounded), which lets the read-out combine
        /// the decoded sums in 32-bit lanes; false for coarser steps, for ADCs of more than 10 bits, whose
        /// codes are not all checked, and where the check was not asked for.
        public let decodesInFloat: Bool
        /// Whether every column sum in `0...largestSum` converts without reaching the ADC's saturation:
        /// `sum * factor` (in single precision, as the read-out computes it) is at least the bottom code and
        /// below the top code plus one half, so the clamp changes no code. The largest sum bounds the rest,
        /// as rounding to single precision keeps their order. False where no largest sum was given.
        public let unclipped: Bool

        /// The scale at `fullScale`; `checkingFloatDecode` false leaves the check over every code out (for a
        /// read-out that cannot use it) and `decodesInFloat` false. `largestSum` bounds the column sums the
        /// scale converts, which are then in `0...largestSum`; nil where they have no such bound.
        public init(_ adc: ADC, fullScale: Float, checkingFloatDecode: Bool = true, largestSum: Int? = nil) {
            factor = adc.topCode / fullScale
            step = adc.step(fullScale: fullScale)
            decodesInFloat = checkingFloatDecode && step < 1 && adc.bits <= 10
                && acim_decodes_exactly_in_float(step, adc.topCode, adc.bottomCode) != 0
            unclipped = largestSum.map { [factor] in adc.bottomCode <= 0 && Float($0) * factor < adc.topCode + 0.5 } ?? false
        }
    }
}
