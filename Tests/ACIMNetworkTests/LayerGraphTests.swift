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
        #expect(reason(.concat, input: [4, 5, 5], extra: []).contains("expected 2 or more"))
        #expect(reason(.globalAvgPool, input: [6]).contains("[C, H, W]"))
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
