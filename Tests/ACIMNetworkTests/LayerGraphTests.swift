import ACIMCore
import Foundation
import Testing
@testable import ACIMNetwork

/// The layers beyond the basic CNN set in the graph format and the executor.
struct LayerGraphTests {
    /// A network using every newer layer kind.
    func mixedNetwork() throws -> Network {
        try randomNetwork(inputShape: [4, 6, 7], nodes: [
            Node("stem", .conv2d(Convolution(outChannels: 4, kernel: [3, 5], stride: [1, 2], padding: [1, 2, 1, 2], bias: true)), inputs: ["input"]),
            Node("leaky", .leakyRelu(slope: 0.2), inputs: ["stem"]),
            Node("dw", .conv2d(Convolution(outChannels: 4, kernel: [3, 3], padding: [2, 2, 2, 2], dilation: [2, 2], groups: 4, bias: false)),
                 inputs: ["leaky"]),
            Node("norm", .batchNorm(epsilon: 1e-3, affine: false), inputs: ["dw"]),
            Node("tanh", .tanh, inputs: ["norm"]),
            Node("res", .add, inputs: ["leaky", "tanh"]),
            Node("gelu", .gelu, inputs: ["res"]),
            Node("silu", .silu, inputs: ["res"]),
            Node("prod", .mul, inputs: ["gelu", "silu"]),
            Node("cat", .concat, inputs: ["prod", "res"]),
            Node("gap", .globalAvgPool, inputs: ["cat"]),
            Node("vec", .reshape([-1]), inputs: ["gap"]),
            Node("fc", .linear(outFeatures: 3, bias: true), inputs: ["vec"]),
        ], classes: 3, seed: 41)
    }

    @Test func newLayersRoundTripThroughTheGraphFormat() throws {
        let network = try mixedNetwork()
        let restored = try ModelFile.decode(try ModelFile.encode(Model(network: network)), path: "m").network
        #expect(restored.nodes == network.nodes)
        #expect(restored.parameters == network.parameters)
        let input = randomTensor([2, 4, 6, 7], seed: 42)
        #expect(try restored.forward(input).output == network.forward(input).output)
    }

    @Test func graphEntriesTakeIntegersOrPairs() throws {
        func conv(_ json: String) throws -> ACIMNetwork.Operation {
            try JSONDecoder().decode(GraphDocument.NodeEntry.self, from: Data(json.utf8)).node().operation
        }
        #expect(try conv(#"{"name":"c","op":"conv2d","inputs":["input"],"out_channels":2,"kernel":3}"#)
            == .conv2d(outChannels: 2, kernel: 3, stride: 1, padding: 0, bias: true))
        #expect(try conv(#"{"name":"c","op":"conv2d","inputs":["input"],"out_channels":2,"kernel":[1,3],"stride":[2,1],"padding":[0,1],"dilation":2,"groups":2,"bias":false}"#)
            == .conv2d(Convolution(outChannels: 2, kernel: [1, 3], stride: [2, 1], padding: [0, 1, 0, 1], dilation: [2, 2], groups: 2, bias: false)))
        #expect(throws: ACIMError.self) { try conv(#"{"name":"c","op":"conv2d","inputs":["input"],"out_channels":2,"kernel":[1,2,3]}"#) }
        #expect(throws: ACIMError.self) { try conv(#"{"name":"p","op":"maxpool","inputs":["input"],"kernel":[2,3]}"#) }
    }

    @Test func shapeErrorsNameTheNode() throws {
        func reason(_ operation: ACIMNetwork.Operation, input: [Int] = [4, 5, 5], extra: [String] = []) -> String {
            do {
                _ = try Network(inputShape: input, nodes: [Node("n", operation, inputs: ["input"] + extra)], parameters: [:], classes: [])
                return "accepted"
            } catch { return "\(error)" }
        }
        #expect(reason(.conv2d(Convolution(outChannels: 3, kernel: [3, 3], groups: 2))).contains("divisible by the 2 groups"))
        #expect(reason(.conv2d(Convolution(outChannels: 4, kernel: [3, 3], dilation: [3, 3]))).contains("at least as large"))
        #expect(reason(.reshape([-1, -1])).contains("same element count"))
        #expect(reason(.reshape([3, -1])).contains("same element count"))
        #expect(reason(.concat, input: [4, 5, 5], extra: []) == "inconsistent parameters: node n (concat) has 1 inputs: expected 2 or more")
        #expect(reason(.add, input: [4, 5, 5], extra: ["input", "input"]) == "inconsistent parameters: node n (add) has 3 inputs: expected 2")
        #expect(reason(.relu, input: [4, 5, 5], extra: ["input"]) == "inconsistent parameters: node n (relu) has 2 inputs: expected 1")
        #expect(Operation.mul.inputCounts == 2...2 && Operation.concat.inputCounts == 2...Int.max && Operation.tanh.inputCounts == 1...1)
        #expect(reason(.globalAvgPool, input: [6]).contains("[C, H, W]"))
    }

    /// "Same" padding: per axis `(ceil(input / stride) - 1) * stride + dilation * (kernel - 1) + 1 - input`
    /// in all, the odd pixel after (or before); at stride 1 `dilation * (kernel - 1)` whatever the input.
    @Test func samePadding() {
        #expect(Convolution.samePadding(kernel: [3, 4], dilation: [1, 2]) == [1, 3, 1, 3])
        #expect(Convolution.samePadding(kernel: [3, 4], dilation: [1, 2], input: [9, 2]) == [1, 3, 1, 3])
        #expect(Convolution.samePadding(kernel: [2, 5], dilation: [1, 1], oddPixelFirst: true) == [1, 2, 0, 2])
        // Height 7 at stride 3: 3 outputs span (3 - 1) * 3 + 3 = 9 pixels, 2 of padding; width 8 at stride 2:
        // 4 outputs span 3 * 2 + 2 * 2 + 1 = 11, 3 of padding.
        #expect(Convolution.samePadding(kernel: [3, 3], stride: [3, 2], dilation: [1, 2], input: [7, 8]) == [1, 1, 1, 2])
        #expect(Convolution.samePadding(kernel: [3, 3], stride: [3, 2], dilation: [1, 2], input: [7, 8], oddPixelFirst: true) == [1, 2, 1, 1])
        // A stride larger than the kernel needs none.
        #expect(Convolution.samePadding(kernel: [1, 1], stride: [2, 2], dilation: [1, 1], input: [6, 6]) == [0, 0, 0, 0])
    }

    @Test func groupedConvolutionIsTheSumOfItsGroups() throws {
        // A 2-group convolution gives, per output half, the dense convolution of its input half.
        let grouped = try randomNetwork(inputShape: [4, 5, 5], nodes: [
            Node("conv", .conv2d(Convolution(outChannels: 6, kernel: [3, 3], padding: [1, 1, 1, 1], groups: 2, bias: false)), inputs: ["input"]),
            Node("flat", .flatten, inputs: ["conv"]),
        ], classes: 150, seed: 43)
        let input = randomTensor([2, 4, 5, 5], seed: 44)
        let output = try grouped.forward(input).output.data
        let weight = grouped.parameters["conv.weight"]!.data
        for g in 0..<2 {
            let dense = try Network(inputShape: [2, 5, 5], nodes: [
                Node("conv", .conv2d(outChannels: 3, kernel: 3, stride: 1, padding: 1, bias: false), inputs: ["input"]),
                Node("flat", .flatten, inputs: ["conv"]),
            ], parameters: ["conv.weight": Tensor(shape: [3, 2, 3, 3], data: Array(weight[(g * 54)..<((g + 1) * 54)]))],
               classes: (0..<75).map(String.init))
            let half = Tensor(shape: [2, 2, 5, 5], data: (0..<2).flatMap { n in input.data[(n * 100 + g * 50)..<(n * 100 + g * 50 + 50)] })
            let expected = try dense.forward(half).output.data
            for n in 0..<2 {
                for i in 0..<75 { #expect(abs(output[n * 150 + g * 75 + i] - expected[n * 75 + i]) < 1e-5) }
            }
        }
    }
}

/// The reference for grouped convolutions: every convolution multiplied by its whole block-diagonal matrix
/// (the default `convolutionProduct`, what the chip's backends receive), recording the matrix sizes.
private struct BlockDiagonalBackend: LayerBackend {
    var matrixSizes: [String: Int] = [:]

    mutating func product(_ layer: String, x: [Float], weight: [Float], m: Int, n: Int, k: Int, samples: Int) -> [Float] {
        matrixSizes[layer] = weight.count
        return Kernels.gemm(x, weight, m: m, n: n, k: k, transposeB: true)
    }
}

/// Grouped convolutions run as one GEMM per group (forward and backward) agree with the block-diagonal
/// matrix over whole patches, on random geometries; a one-group convolution gives the same bits.
struct GroupedConvolutionTests {
    static let cases: [(channels: Int, out: Int, groups: Int, kernel: [Int], stride: [Int], dilation: [Int])] = [
        (4, 6, 1, [3, 3], [1, 1], [1, 1]), (4, 6, 2, [3, 3], [1, 1], [1, 1]), (6, 9, 3, [3, 2], [2, 1], [1, 1]),
        (5, 10, 5, [3, 3], [1, 2], [2, 1]), (8, 8, 8, [1, 1], [1, 1], [1, 1]), (6, 4, 2, [2, 3], [2, 2], [1, 2]),
    ]

    static func network(_ c: (channels: Int, out: Int, groups: Int, kernel: [Int], stride: [Int], dilation: [Int]),
                        seed: UInt64) throws -> Network {
        let conv = Convolution(outChannels: c.out, kernel: c.kernel, stride: c.stride, padding: [1, 0, 1, 1], dilation: c.dilation,
                               groups: c.groups, bias: true)
        let size = try #require(conv.outputSize(height: 7, width: 6))
        return try randomNetwork(inputShape: [c.channels, 7, 6], nodes: [
            Node("conv", .conv2d(conv), inputs: ["input"]), Node("flat", .flatten, inputs: ["conv"]),
        ], classes: c.out * size.height * size.width, seed: seed, inputGains: true)
    }

    @Test func forwardAgreesWithTheBlockDiagonalMatrix() throws {
        for (index, c) in Self.cases.enumerated() {
            let network = try Self.network(c, seed: 50 + UInt64(index))
            let input = randomTensor([3, c.channels, 7, 6], seed: 60 + UInt64(index))
            var float = FloatBackend(), reference = BlockDiagonalBackend()
            let fast = try network.infer(input, backend: &float).data
            let plain = try network.infer(input, backend: &reference).data
            let patch = c.channels * c.kernel[0] * c.kernel[1]
            #expect(reference.matrixSizes["conv"] == c.out * patch, "\(c)")
            if c.groups == 1 { #expect(fast == plain) }
            #expect(zip(fast, plain).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) }, "\(c)")
        }
    }

    @Test func backwardAgreesWithTheBlockDiagonalMatrix() throws {
        for (index, c) in Self.cases.enumerated() {
            let network = try Self.network(c, seed: 70 + UInt64(index))
            let batch = 2
            let pass = try network.forward(randomTensor([batch, c.channels, 7, 6], seed: 80 + UInt64(index)))
            let shape = network.shapes["conv"]!, spatial = shape[1] * shape[2]
            let dy = randomTensor([batch] + shape, seed: 90 + UInt64(index)).data
            let grads = network.backward(pass, seeds: ["conv": dy])
            // The reference: the whole block-diagonal matrix, its gradient read at the stored entries.
            let node = network.nodes[0], g = network.convGeometry(node, batch: batch)
            let rows = Kernels.permute(dy, batch: batch, spatial: spatial, channels: c.out, inverse: true)
            let full = Kernels.gemm(rows, pass.columns["conv"]!, m: c.out, n: g.patch, k: g.rows, transposeA: true)
            let (perGroup, outPerGroup) = (g.patch / c.groups, c.out / c.groups)
            var weightGradient: [Float] = []
            for o in 0..<c.out {
                let start = o * g.patch + o / outPerGroup * perGroup
                weightGradient += full[start..<(start + perGroup)]
            }
            let dcols = Kernels.gemm(rows, network.unrolledWeight(node), m: g.rows, n: g.patch, k: c.out)
            let inputGradient = network.gainedInput(node, Kernels.col2im(dcols, g), batch: batch)
            for (fast, plain) in [(grads.parameters["conv.weight"]!, weightGradient), (grads.input, inputGradient)] {
                #expect(fast.count == plain.count, "\(c)")
                if c.groups == 1 { #expect(fast == plain) }
                #expect(zip(fast, plain).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) }, "\(c)")
            }
        }
    }
}
