import ACIMCore
import Foundation
import Testing

/// The single-precision functions of the materialization's fast path against the C library in double
/// precision, and the Gaussian pairs of the device noise: single against double precision, and their
/// distribution.
@Suite struct FastMathTests {
    /// Points spread over `range`, ends included.
    func points(_ range: ClosedRange<Double>, _ count: Int = 200_001) -> [Float] {
        (0..<count).map { Float(range.lowerBound + (range.upperBound - range.lowerBound) * Double($0) / Double(count - 1)) }
    }

    @Test func exp2IsWithinTwoTenthsOfAMillionthRelative() {
        var worst = 0.0
        for x in points(-126...127) + points(-1...1) {
            let exact = Foundation.exp2(Double(x))
            worst = max(worst, abs(Double(FastMath.exp2(x)) - exact) / exact)
        }
        #expect(worst < 2e-7)
        #expect(FastMath.exp2(0) == 1 && FastMath.exp2(-0.0) == 1 && FastMath.exp2(10) == 1024)
        // Beyond the domain the argument is clamped, never a garbage exponent.
        #expect(FastMath.exp2(-200) == FastMath.exp2(-126) && FastMath.exp2(200) == FastMath.exp2(127))
    }

    @Test func log2IsWithinATenthOfAMillionth() {
        var worst = 0.0
        for e in stride(from: -126, through: 127, by: 7) {
            for m in points(1...2, 20_001) {
                let x = m * Float(sign: .plus, exponent: e, significand: 1)
                guard x.isFinite else { continue }
                let exact = Foundation.log2(Double(x))
                // Relative, except near 1 where the logarithm vanishes: absolute there.
                worst = max(worst, abs(Double(FastMath.log2(x)) - exact) / max(abs(exact), 1))
            }
        }
        #expect(worst < 1e-7)
        #expect(FastMath.log2(1) == 0 && FastMath.log2(0.5) == -1 && FastMath.log2(1024) == 10)
    }

    @Test func cosineAndSineAreWithinATenthOfAMillionth() {
        var worst = 0.0
        for x in points(-Double.pi / 4...Double.pi / 4) {
            let (c, s) = FastMath.cosSin(x)
            worst = max(worst, abs(Double(c) - Foundation.cos(Double(x))), abs(Double(s) - Foundation.sin(Double(x))))
        }
        #expect(worst < 1e-7)
    }

    @Test func squareRootIsWithinThreeUnitsInTheLastPlace() {
        for x in points(0...64) + points(1e-30...1e-20, 1001) + [0, 1, 4, 1e30] {
            let exact = Foundation.sqrt(Double(x))
            #expect(abs(Double(FastMath.squareRoot(x)) - exact) <= 3 * Double(Float(exact).ulp), "\(x)")
        }
    }

    /// Every one of the 65536 half-precision bit patterns, subnormals, infinities and NaNs included.
    @Test func halfToFloatIsExact() {
        for bits in UInt16.min...UInt16.max {
            let half = Float16(bitPattern: bits)
            let value = FastMath.float(halfBits: bits)
            if half.isNaN {
                #expect(value.isNaN, "\(bits)")
            } else {
                #expect(value.bitPattern == Float(half).bitPattern, "\(bits)")
            }
        }
    }

    @Test func singlePrecisionPairsFollowTheDoublePrecisionPairs() {
        let stream = RandomStream(seed: 4, purpose: .userInput)
        let count = 100_000
        var normals = [Float](repeating: 0, count: 2 * count + 2)
        normals.withUnsafeMutableBufferPointer { stream.gaussianPairs(7..<UInt64(7 + count), into: $0.baseAddress!) }
        var worst = 0.0
        for k in 0..<count {
            let (a, b) = stream.gaussianPair(at: UInt64(7 + k))
            worst = max(worst, abs(Double(normals[2 * k]) - a), abs(Double(normals[2 * k + 1]) - b))
        }
        #expect(worst < 2e-6)
        // The pairs at a counter do not depend on the range they are drawn in.
        var one = [Float](repeating: 0, count: 2)
        one.withUnsafeMutableBufferPointer { stream.gaussianPairs(1007..<1008, into: $0.baseAddress!) }
        #expect(one == Array(normals[2000..<2002]))
    }

    /// Both values of a pair are standard normals, uncorrelated with each other and with the next pair's.
    @Test func pairsAreIndependentStandardNormals() {
        let stream = RandomStream(seed: 9, purpose: .userInput)
        let n = 200_000
        let pairs = (0..<n).map { stream.gaussianPair(at: UInt64($0)) }
        for values in [pairs.map(\.0), pairs.map(\.1)] {
            let mean = values.reduce(0, +) / Double(n)
            let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
            let kurtosis = values.reduce(0) { $0 + pow($1 - mean, 4) } / Double(n) / (variance * variance)
            #expect(abs(mean) < 4 / Double(n).squareRoot())
            #expect(abs(variance - 1) < 4 * (2 / Double(n)).squareRoot())
            #expect(abs(kurtosis - 3) < 4 * (24 / Double(n)).squareRoot())
            // The tail: P(z > 2) = 0.02275.
            let tail = Double(values.count { $0 > 2 }) / Double(n)
            #expect(abs(tail - 0.02275) < 4 * (0.02275 * 0.97725 / Double(n)).squareRoot())
        }
        let within = pairs.reduce(0) { $0 + $1.0 * $1.1 } / Double(n)
        let across = zip(pairs, pairs.dropFirst()).reduce(0) { $0 + $1.0.1 * $1.1.0 } / Double(n - 1)
        #expect(abs(within) < 4 / Double(n).squareRoot())
        #expect(abs(across) < 4 / Double(n).squareRoot())
    }
}
