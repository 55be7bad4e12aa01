import ACIMCore
import Testing
@testable import ACIMNetwork

/// Backpropagation against central finite differences of `loss = Σ r ⊙ output` for every layer type.
struct GradientTests {
    /// Checks the parameter, gate and input gradients of `network` on a random batch.
    func checkGradients(_ network: Network, batch: Int = 3, gates: [String: [Float]] = [:], seed: UInt64) throws {
        let input = randomTensor([batch] + network.inputShape, seed: seed)
        let weights = randomTensor([batch] + network.shapes[network.outputName]!, seed: seed + 100).data
        func loss(_ net: Network, _ x: Tensor, _ g: [String: [Float]]) throws -> Double {
            let out = try net.forward(x, mode: .batch, gates: g).output.data
            return zip(out, weights).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        let pass = try network.forward(input, mode: .batch, gates: gates)
        let grads = network.backward(pass, seeds: [network.outputName: weights])
        let h: Float = 1e-3
        func expectClose(_ analytic: Float, _ numeric: Double, _ what: String) {
            let tolerance = 2e-2 * max(1, abs(numeric))
            #expect(abs(Double(analytic) - numeric) <= tolerance, "\(what): backprop \(analytic) vs finite difference \(numeric)")
        }
        for (name, tensor) in network.parameters where !name.hasSuffix("running_mean") && !name.hasSuffix("running_var") && !name.hasSuffix("input_gain") {
            let analytic = try #require(grads.parameters[name], "no gradient for \(name)")
            for i in stride(from: 0, to: tensor.count, by: max(1, tensor.count / 5)) {
                var plus = network, minus = network
                plus.parameters[name]!.data[i] += h
                minus.parameters[name]!.data[i] -= h
                expectClose(analytic[i], (try loss(plus, input, gates) - loss(minus, input, gates)) / Double(2 * h), "\(name)[\(i)]")
            }
        }
        for (name, gate) in gates {
            let analytic = try #require(grads.gates[name])
            for i in gate.indices {
                var plus = gates, minus = gates
                plus[name]![i] += h
                minus[name]![i] -= h
                expectClose(analytic[i], (try loss(network, input, plus) - loss(network, input, minus)) / Double(2 * h), "gate \(name)[\(i)]")
            }
        }
        for i in stride(from: 0, to: input.count, by: max(1, input.count / 7)) {
            var plus = input, minus = input
            plus.data[i] += h
            minus.data[i] -= h
            expectClose(grads.input[i], (try loss(network, plus, gates) - loss(network, minus, gates)) / Double(2 * h), "input[\(i)]")
        }
    }

    @Test func convolutionWithStrideAndPadding() throws {
        let net = try randomNetwork(inputShape: [2, 5, 5], nodes: [
            Node("conv", .conv2d(outChannels: 3, kernel: 3, stride: 2, padding: 1, bias: true), inputs: ["input"]),
            Node("flat", .flatten, inputs: ["conv"]),
        ], classes: 27, seed: 1, inputGains: true)
        try checkGradients(net, seed: 2)
    }

    @Test(arguments: [3, 13, 23] as [UInt64]) func linearBatchNormReLU(seed: UInt64) throws {
        let net = try randomNetwork(inputShape: [6], nodes: [
            Node("fc1", .linear(outFeatures: 5, bias: true), inputs: ["input"]),
            Node("bn", .batchNorm(epsilon: 1e-5), inputs: ["fc1"]),
            Node("relu", .relu, inputs: ["bn"]),
            Node("fc2", .linear(outFeatures: 4, bias: false), inputs: ["relu"]),
        ], classes: 4, seed: seed)
        try checkGradients(net, batch: 4, seed: seed + 1)
    }

    @Test func convBatchNormPoolingAndGates() throws {
        let net = try randomNetwork(inputShape: [1, 6, 6], nodes: [
            Node("conv", .conv2d(outChannels: 3, kernel: 3, stride: 1, padding: 1, bias: false), inputs: ["input"]),
            Node("bn", .batchNorm(epsilon: 1e-5), inputs: ["conv"]),
            Node("max", .maxPool(kernel: 2, stride: 2), inputs: ["bn"]),
            Node("avg", .avgPool(kernel: 2, stride: 1), inputs: ["max"]),
            Node("flat", .flatten, inputs: ["avg"]),
            Node("fc", .linear(outFeatures: 3, bias: true), inputs: ["flat"]),
        ], classes: 3, seed: 5)
        try checkGradients(net, gates: ["max": [0.5, -1.5, 2]], seed: 6)
    }

    @Test func residualAddReshapeAndOutputs() throws {
        for head in [Operation.sigmoid, .softmax] {
            let net = try randomNetwork(inputShape: [2, 3, 3], nodes: [
                Node("conv", .conv2d(outChannels: 2, kernel: 3, stride: 1, padding: 1, bias: true), inputs: ["input"]),
                Node("add", .add, inputs: ["conv", "input"]),
                Node("shape", .reshape([18]), inputs: ["add"]),
                Node("fc", .linear(outFeatures: 4, bias: true), inputs: ["shape"]),
                Node("head", head, inputs: ["fc"]),
            ], classes: 4, seed: 7)
            try checkGradients(net, seed: 8)
        }
    }

    @Test func rectangularDilatedConvolution() throws {
        let conv = Convolution(outChannels: 3, kernel: [2, 3], stride: [1, 2], padding: [1, 2, 0, 1], dilation: [2, 1], bias: true)
        let net = try randomNetwork(inputShape: [2, 5, 6], nodes: [
            Node("conv", .conv2d(conv), inputs: ["input"]),
            Node("flat", .flatten, inputs: ["conv"]),
        ], classes: 3 * 4 * 4, seed: 31, inputGains: true)
        #expect(net.shapes["conv"] == [3, 4, 4])
        try checkGradients(net, seed: 32)
    }

    @Test func groupedAndDepthwiseConvolutions() throws {
        let net = try randomNetwork(inputShape: [4, 5, 5], nodes: [
            Node("grouped", .conv2d(Convolution(outChannels: 6, kernel: [3, 3], padding: [1, 1, 1, 1], groups: 2, bias: true)), inputs: ["input"]),
            Node("depthwise", .conv2d(Convolution(outChannels: 6, kernel: [3, 3], stride: [2, 2], groups: 6, bias: false)), inputs: ["grouped"]),
            Node("flat", .flatten, inputs: ["depthwise"]),
        ], classes: 24, seed: 33)
        try checkGradients(net, seed: 34)
    }

    @Test func activations() throws {
        for activation in [Operation.leakyRelu(slope: 0.1), .tanh, .gelu, .silu, .sigmoid] {
            let net = try randomNetwork(inputShape: [6], nodes: [
                Node("fc1", .linear(outFeatures: 5, bias: true), inputs: ["input"]),
                Node("act", activation, inputs: ["fc1"]),
                Node("fc2", .linear(outFeatures: 3, bias: true), inputs: ["act"]),
            ], classes: 3, seed: 35)
            try checkGradients(net, seed: 36)
        }
    }

    @Test func concatMulGlobalPoolingAndPlainBatchNorm() throws {
        let net = try randomNetwork(inputShape: [2, 4, 4], nodes: [
            Node("a", .conv2d(outChannels: 3, kernel: 3, stride: 1, padding: 1, bias: true), inputs: ["input"]),
            Node("bn", .batchNorm(epsilon: 1e-5, affine: false), inputs: ["a"]),
            Node("gate", .sigmoid, inputs: ["bn"]),
            Node("mul", .mul, inputs: ["a", "gate"]),
            Node("cat", .concat, inputs: ["mul", "input", "mul"]),
            Node("gap", .globalAvgPool, inputs: ["cat"]),
            Node("flat", .reshape([-1]), inputs: ["gap"]),
            Node("fc", .linear(outFeatures: 4, bias: true), inputs: ["flat"]),
        ], classes: 4, seed: 37)
        #expect(net.shapes["cat"] == [8, 4, 4] && net.shapes["flat"] == [8])
        #expect(net.parameters["bn.weight"] == nil)
        try checkGradients(net, batch: 4, seed: 38)
    }

    @Test func subtaskLossGradient() {
        let loss = SubtaskLoss(classCount: 4, subtaskClasses: [1, 2], beta: 3)
        let logits: [Float] = [0.3, -1.2, 2.0, 0.1, -0.5, 0.7, 0.2, -2.0]
        let labels = [2, 0]
        let (_, gradient) = loss.evaluate(logits: logits, labels: labels)
        for i in logits.indices {
            var plus = logits, minus = logits
            plus[i] += 1e-2
            minus[i] -= 1e-2
            let numeric = (loss.evaluate(logits: plus, labels: labels).loss - loss.evaluate(logits: minus, labels: labels).loss) / 2e-2
            #expect(abs(gradient[i] - numeric) < 1e-3)
        }
    }
}
