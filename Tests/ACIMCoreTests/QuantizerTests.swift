import Testing
@testable import ACIMCore

@Suite struct QuantizerTests {
    /// `code` and `codes` give the code of the plain definition (round half to even by the library, then
    /// saturate) on ties, saturating values, signed zeros and infinities.
    @Test(arguments: [(8, true), (8, false), (1, true), (12, true), (16, false)])
    func codesMatchTheDefinition(bits: Int, signed: Bool) throws {
        let quantizer = try Quantizer(bits: bits, signed: signed, scale: 0.25)
        let range = quantizer.codeRange
        var rng = RandomStream(seed: UInt64(bits), purpose: .userInput)
        var values: [Float] = [0, -0, 0.125, -0.125, 0.375, -0.375, .infinity, -.infinity, 1e30, -1e30]
        values += (0..<2000).map { _ in Float((rng.nextUniform() - 0.5) * 2.2 * Double(range.upperBound) * 0.25) }
        values += (-40...40).map { Float($0) * 0.125 }
        let expected = values.map { x in
            Int32(min(max(roundHalfEven(Double(x) / 0.25), Double(range.lowerBound)), Double(range.upperBound)))
        }
        #expect(quantizer.codes(values) == expected)
        #expect(values.map { Int32(quantizer.code(Double($0))) } == expected)
    }
}
