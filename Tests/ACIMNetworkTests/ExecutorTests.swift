import ACIMCore
import Foundation
import Testing
@testable import ACIMNetwork

/// The im2col + sgemm executor against direct loops written from the layer definitions.
struct ExecutorTests {
    @Test(arguments: [(1, 0), (2, 1), (1, 2)]) func convolutionMatchesDirectLoops(geometry: (Int, Int)) throws {
        let (stride, padding) = geometry
        let net = try randomNetwork(inputShape: [3, 7, 6], nodes: [
            Node("conv", .conv2d(outChannels: 4, kernel: 3, stride: stride, padding: padding, bias: true), inputs: ["input"]),
            Node("flat", .flatten, inputs: ["conv"]),
        ], classes: 4 * ((7 + 2 * padding - 3) / stride + 1) * ((6 + 2 * padding - 3) / stride + 1), seed: 41, inputGains: true)
        let x = randomTensor([2, 3, 7, 6], seed: 42)
        let y = try net.forward(x).output.data
        let w = net.parameters["conv.weight"]!.data, b = net.parameters["conv.bias"]!.data
        let gain = net.parameters["conv.input_gain"]!.data
        let (oh, ow) = ((7 + 2 * padding - 3) / stride + 1, (6 + 2 * padding - 3) / stride + 1)
        var worst: Float = 0
        for n in 0..<2 {
            for o in 0..<4 {
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        var sum = b[o]
                        for c in 0..<3 {
                            for ky in 0..<3 {
                                for kx in 0..<3 {
                                    let iy = oy * stride - padding + ky, ix = ox * stride - padding + kx
                                    guard (0..<7).contains(iy), (0..<6).contains(ix) else { continue }
                                    sum += w[((o * 3 + c) * 3 + ky) * 3 + kx] * gain[c] * x.data[((n * 3 + c) * 7 + iy) * 6 + ix]
                                }
                            }
                        }
                        worst = max(worst, abs(sum - y[((n * 4 + o) * oh + oy) * ow + ox]))
                    }
                }
            }
        }
        #expect(worst < 1e-5)
    }

    @Test func poolingBatchNormAndHeads() throws {
        let net = try randomNetwork(inputShape: [2, 4, 4], nodes: [
            Node("bn", .batchNorm(epsilon: 1e-3), inputs: ["input"]),
            Node("max", .maxPool(kernel: 2, stride: 2), inputs: ["bn"]),
            Node("avg", .avgPool(kernel: 3, stride: 1), inputs: ["input"]),
            Node("flat", .flatten, inputs: ["max"]),
            Node("soft", .softmax, inputs: ["flat"]),
        ], classes: 8, seed: 43)
        let x = randomTensor([1, 2, 4, 4], seed: 44)
        let pass = try net.forward(x)
        let p = net.parameters
        func bn(_ c: Int, _ v: Float) -> Float {
            let gamma: Float = p["bn.weight"]!.data[c], beta: Float = p["bn.bias"]!.data[c]
            let mean: Float = p["bn.running_mean"]!.data[c], variance: Float = p["bn.running_var"]!.data[c]
            return gamma * (v - mean) / (variance + 1e-3).squareRoot() + beta
        }
        let xs = x.data
        let maxOut = pass.outputs["max"]!.data, avgOut = pass.outputs["avg"]!.data
        for c in 0..<2 {
            for oy in 0..<2 {
                for ox in 0..<2 {
                    var window: [Float] = []
                    for dy in 0..<2 { for dx in 0..<2 { window.append(bn(c, xs[c * 16 + (2 * oy + dy) * 4 + 2 * ox + dx])) } }
                    #expect(abs(maxOut[c * 4 + oy * 2 + ox] - window.max()!) < 1e-5)
                    var sum: Float = 0
                    for dy in 0..<3 { for dx in 0..<3 { sum += xs[c * 16 + (oy + dy) * 4 + ox + dx] } }
                    #expect(abs(avgOut[c * 4 + oy * 2 + ox] - sum / 9) < 1e-5)
                }
            }
        }
        let soft = pass.output.data
        let e = maxOut.map { exp($0 - maxOut.max()!) }
        for i in 0..<8 { #expect(abs(soft[i] - e[i] / e.reduce(0, +)) < 1e-6) }
    }

    @Test func badInputsAreRejected() throws {
        let net = try randomNetwork(inputShape: [4], nodes: [Node("fc", .linear(outFeatures: 2, bias: true), inputs: ["input"])],
                                    classes: 2, seed: 45)
        #expect(throws: ACIMError.self) { try net.forward(Tensor(shape: [1, 5])) }
        #expect(throws: ACIMError.self) { try net.forward(Tensor(shape: [1, 4]), gates: ["fc": [1]]) }
        #expect(throws: ACIMError.self) { try Network(inputShape: [4], nodes: [], parameters: [:], classes: []) }
        #expect(throws: ACIMError.self) {
            try Network(inputShape: [1, 2, 2], nodes: [Node("c", .conv2d(outChannels: 1, kernel: 3, stride: 1, padding: 0, bias: false),
                                                                inputs: ["input"])], parameters: ["c.weight": Tensor(shape: [1, 1, 3, 3])], classes: ["a"])
        }
    }
}
