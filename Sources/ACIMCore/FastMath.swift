/// Single-precision elementary functions for loops that the compiler vectorizes on baseline x86-64 (SSE2):
/// Cephes-style polynomials on bit-level range reductions, with no calls, traps or branches, so a loop of
/// them runs four or more lanes at a time. Each is accurate to a few units in the last place on the domain
/// it states; outside it the result is unspecified.
public enum FastMath {
    /// `2^x` for `x` in [-126, 127] (clamped to it), within 2e-7 relative.
    @inlinable @inline(__always)
    public static func exp2(_ x: Float) -> Float {
        let x = Swift.min(Swift.max(x, -126), 127)
        // Adding 1.5 x 2^23 rounds x to the nearest integer n, left in the low mantissa bits.
        let magic: Float = 12_582_912
        let shifted = x + magic
        let n = Int32(bitPattern: shifted.bitPattern) &- 0x4B40_0000
        let f = x - (shifted - magic)  // exact, in [-1/2, 1/2]
        let c6: Float = 1.535_336_188_319_500e-4, c5: Float = 1.339_887_440_266_574e-3
        let c4: Float = 9.618_437_357_674_640e-3, c3: Float = 5.550_332_471_162_809e-2
        let c2: Float = 2.402_264_791_363_012e-1, c1: Float = 6.931_472_028_550_421e-1
        let p = (((((c6 * f + c5) * f + c4) * f + c3) * f + c2) * f + c1) * f + 1
        return p * Float(bitPattern: UInt32(bitPattern: (n &+ 127) &<< 23))
    }

    /// The base-2 logarithm of a positive normal `x`, within 1e-7 relative (absolute near 1).
    @inlinable @inline(__always)
    public static func log2(_ x: Float) -> Float {
        let bits = x.bitPattern
        // x = m 2^e with m in [sqrt(1/2), sqrt(2)): m - 1 is exact.
        let mantissa = Float(bitPattern: (bits & 0x007F_FFFF) | 0x3F00_0000)  // [0.5, 1)
        let low = mantissa < 0.707_106_77
        let e = Float(Int32(bitPattern: bits >> 23) &- (low ? 127 : 126))
        let m = low ? mantissa + mantissa - 1 : mantissa - 1
        // ln(1 + m) by Cephes' polynomial, then to base 2.
        let z = m * m
        let c8: Float = 7.037_683_629_2e-2, c7: Float = -1.151_461_031_0e-1, c6: Float = 1.167_699_874_0e-1
        let c5: Float = -1.242_014_084_6e-1, c4: Float = 1.424_932_278_7e-1, c3: Float = -1.666_805_766_5e-1
        let c2: Float = 2.000_071_476_5e-1, c1: Float = -2.499_999_399_3e-1, c0: Float = 3.333_333_117_4e-1
        let y = ((((((((c8 * m + c7) * m + c6) * m + c5) * m + c4) * m + c3) * m + c2) * m + c1) * m + c0) * m * z
        return (m + (y - 0.5 * z)) * 1.442_695_04 + e
    }

    /// The square root of a non-negative finite `x`, within 3 units in the last place: three Newton steps
    /// on `1 / sqrt(x)` from a guess that halves the exponent. (`Float.squareRoot()` calls `sqrtf` on
    /// Linux, which may set `errno`, and that keeps a loop from vectorizing.)
    @inlinable @inline(__always)
    public static func squareRoot(_ x: Float) -> Float {
        var y = Float(bitPattern: 0x5F37_59DF &- x.bitPattern &>> 1)
        let half = 0.5 * x
        y = y * (1.5 - half * y * y)
        y = y * (1.5 - half * y * y)
        y = y * (1.5 - half * y * y)
        return x * y
    }

    /// Cosine and sine of `x` in [-pi/4, pi/4], within 1e-7 absolute.
    @inlinable @inline(__always)
    public static func cosSin(_ x: Float) -> (cos: Float, sin: Float) {
        let z = x * x
        let s2: Float = -1.951_529_589_1e-4, s1: Float = 8.332_160_873_6e-3, s0: Float = -1.666_665_461_1e-1
        let c2: Float = 2.443_315_711_809_948e-5, c1: Float = -1.388_731_625_493_765e-3
        let c0: Float = 4.166_664_568_298_827e-2
        let sine = ((s2 * z + s1) * z + s0) * z * x + x
        let cosine = ((c2 * z + c1) * z + c0) * z * z - 0.5 * z + 1
        return (cosine, sine)
    }

    /// The value of the IEEE half-precision bit pattern `half`, exactly (subnormals, infinities and NaNs
    /// included), without the F16C instructions baseline x86-64 lacks.
    @inlinable @inline(__always)
    public static func float(halfBits half: UInt16) -> Float {
        let bits = UInt32(half)
        let magnitude = (bits & 0x7FFF) &<< 13
        // Rebias the exponent by 2^(127 - 15); a subnormal half becomes a normal float exactly.
        let scaled = Float(bitPattern: magnitude) * 0x1p112
        let special = bits & 0x7C00 == 0x7C00
        let value = special ? magnitude | 0x7F80_0000 : scaled.bitPattern
        return Float(bitPattern: value | (bits & 0x8000) &<< 16)
    }
}
