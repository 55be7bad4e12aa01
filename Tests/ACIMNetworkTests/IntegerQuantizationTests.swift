import ACIMCore
import Foundation
import Testing
@testable import ACIMNetwork

struct IntegerQuantizationTests {
    /// The integer path equals the product of the codes computed in Int, rescaled, also when the sum must be
    /// split into k-chunks to stay exact (12-bit codes, k = 40).
    @Test(arguments: [(8, 8), (12, 12)]) func integerProductIsExact(bits: (Int, Int)) throws {
        let net = try randomNetwork(inputShape: [40], nodes: [Node("fc", .linear(outFeatures: 3, bias: false), inputs: ["input"])],
                                    classes: 3, seed: 31)
        let data = Dataset(images: randomTensor([5, 40], seed: 32), labels: [0, 1, 2, 0, 1])
        let integer = try IntegerQuantization(net, calibration: data, weightBits: bits.0, activationBits: bits.1)
        let scales = try #require(integer.layers["fc"])
        #expect(scales.input.signed)
        let out = try net.forward(data.images, integer: integer).output.data
        let w = net.parameters["fc.weight"]!.data
        for n in 0..<5 {
            for j in 0..<3 {
                var sum = 0
                for i in 0..<40 { sum += scales.input.code(Double(data.images.data[n * 40 + i])) * scales.weight.code(Double(w[j * 40 + i])) }
                let expected = Float(Double(sum) * scales.input.scale * scales.weight.scale)
                #expect(out[n * 3 + j] == expected)
            }
        }
    }
}
