import ACIMCore

/// Network builders with deterministic initialisation (He-normal weights from `RandomStream`).
public enum Architectures {
    /// A CNN of `channels.count` blocks conv3x3(pad 1) → BN → ReLU (→ 2x2 max pool from the second block on),
    /// a flatten, a linear classifier and per-class sigmoid outputs. Each block's output is a mask site.
    public static func convNet(inputShape: [Int], classes: [String], channels: [Int], seed: UInt64) throws
        -> (network: Network, sites: [MaskSite]) {
        var nodes: [Node] = []
        var sites: [MaskSite] = []
        var parameters: [String: Tensor] = [:]
        var previous = Network.inputName
        var (inChannels, height, width) = (inputShape[0], inputShape[1], inputShape[2])
        var stream = 0
        func normal(_ shape: [Int], fanIn: Int) -> Tensor {
            stream += 1
            let rng = RandomStream(seed: seed, lane: UInt64(stream), purpose: .training, event: 0)
            let std = (2 / Double(fanIn)).squareRoot()
            return Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { Float(rng.gaussian(at: UInt64($0)) * std) })
        }
        for (b, out) in channels.enumerated() {
            let conv = "conv\(b + 1)", bn = "bn\(b + 1)", relu = "relu\(b + 1)"
            nodes.append(Node(conv, .conv2d(outChannels: out, kernel: 3, stride: 1, padding: 1, bias: false), inputs: [previous]))
            nodes.append(Node(bn, .batchNorm(epsilon: 1e-5), inputs: [conv]))
            nodes.append(Node(relu, .relu, inputs: [bn]))
            parameters["\(conv).weight"] = normal([out, inChannels, 3, 3], fanIn: inChannels * 9)
            parameters["\(bn).weight"] = Tensor(shape: [out], repeating: 1)
            parameters["\(bn).bias"] = Tensor(shape: [out], repeating: 0)
            parameters["\(bn).running_mean"] = Tensor(shape: [out], repeating: 0)
            parameters["\(bn).running_var"] = Tensor(shape: [out], repeating: 1)
            previous = relu
            if b > 0, height >= 2, width >= 2 {
                let pool = "pool\(b + 1)"
                nodes.append(Node(pool, .maxPool(kernel: 2, stride: 2), inputs: [relu]))
                previous = pool
                (height, width) = (height / 2, width / 2)
            }
            sites.append(MaskSite(filters: conv, gate: previous, scaled: b + 1 < channels.count))
            inChannels = out
        }
        nodes.append(Node("flatten", .flatten, inputs: [previous]))
        let features = inChannels * height * width
        nodes.append(Node("fc", .linear(outFeatures: classes.count, bias: true), inputs: ["flatten"]))
        parameters["fc.weight"] = normal([classes.count, features], fanIn: features)
        parameters["fc.bias"] = Tensor(shape: [classes.count], repeating: 0)
        nodes.append(Node("scores", .sigmoid, inputs: ["fc"]))
        return (try Network(inputShape: inputShape, nodes: nodes, parameters: parameters, classes: classes), sites)
    }
}
