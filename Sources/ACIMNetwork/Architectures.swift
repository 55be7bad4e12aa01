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

    /// ResNet-20 for CIFAR-10 shapes (`[3, 32, 32]` inputs, 10 classes): a 3x3 stem of 16 filters, three
    /// stages of three basic blocks (16, 32 and 64 filters; the second and third stages start with stride 2
    /// and a 1x1 projection shortcut), global average pooling and a linear classifier. Random He-normal
    /// weights from `seed`; batch norm at identity statistics.
    public static func resNet20(seed: UInt64) throws -> Network {
        var builder = ResNetBuilder(inputShape: [3, 32, 32], seed: seed)
        builder.convBN("conv1", out: 16, kernel: 3, stride: 1, padding: 1, relu: true)
        for (stage, channels) in [16, 32, 64].enumerated() {
            for block in 0..<3 {
                builder.basicBlock("layer\(stage + 1).\(block)", out: channels, stride: stage > 0 && block == 0 ? 2 : 1)
            }
        }
        return try builder.classifier(classes: (0..<10).map(String.init))
    }

    /// ResNet-18 for ImageNet shapes (`[3, 224, 224]` inputs, 1000 classes): a 7x7 stride-2 stem of 64
    /// filters, a 3x3 stride-2 max pool (unpadded, so the stages see 55, 28, 14 and 7 pixels), four stages
    /// of two basic blocks (64 to 512 filters), global average pooling and a linear classifier: 11.7 M
    /// weights. Random He-normal weights from `seed`; batch norm at identity statistics.
    public static func resNet18(seed: UInt64) throws -> Network {
        var builder = ResNetBuilder(inputShape: [3, 224, 224], seed: seed)
        builder.convBN("conv1", out: 64, kernel: 7, stride: 2, padding: 3, relu: true)
        builder.append("maxpool", .maxPool(kernel: 3, stride: 2), shape: { [$0[0], ($0[1] - 3) / 2 + 1, ($0[2] - 3) / 2 + 1] })
        for (stage, channels) in [64, 128, 256, 512].enumerated() {
            for block in 0..<2 {
                builder.basicBlock("layer\(stage + 1).\(block)", out: channels, stride: stage > 0 && block == 0 ? 2 : 1)
            }
        }
        return try builder.classifier(classes: (0..<1000).map { "class\($0)" })
    }
}

/// Builds residual networks node by node, tracking the current output and its shape.
private struct ResNetBuilder {
    var nodes: [Node] = []
    var parameters: [String: Tensor] = [:]
    var current = Network.inputName
    var shape: [Int]
    let inputShape: [Int]
    let seed: UInt64
    var stream: UInt64 = 0

    init(inputShape: [Int], seed: UInt64) {
        shape = inputShape
        self.inputShape = inputShape
        self.seed = seed
    }

    mutating func append(_ name: String, _ operation: Operation, inputs: [String]? = nil, shape: ([Int]) -> [Int] = { $0 }) {
        nodes.append(Node(name, operation, inputs: inputs ?? [current]))
        current = name
        self.shape = shape(self.shape)
    }

    /// He-normal values of `shape` from the next training stream.
    mutating func normal(_ shape: [Int], fanIn: Int) -> Tensor {
        stream += 1
        let rng = RandomStream(seed: seed, lane: stream, purpose: .training, event: 0)
        let std = (2 / Double(fanIn)).squareRoot()
        return Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { Float(rng.gaussian(at: UInt64($0)) * std) })
    }

    /// conv (no bias) -> batch norm `<name>.bn` (-> ReLU `<name>.relu`) reading the current output.
    mutating func convBN(_ name: String, out: Int, kernel: Int, stride: Int, padding: Int, relu: Bool) {
        let inChannels = shape[0]
        append(name, .conv2d(outChannels: out, kernel: kernel, stride: stride, padding: padding, bias: false)) {
            [out, ($0[1] + 2 * padding - kernel) / stride + 1, ($0[2] + 2 * padding - kernel) / stride + 1]
        }
        parameters["\(name).weight"] = normal([out, inChannels, kernel, kernel], fanIn: inChannels * kernel * kernel)
        let bn = "\(name).bn"
        append(bn, .batchNorm(epsilon: 1e-5))
        parameters["\(bn).weight"] = Tensor(shape: [out], repeating: 1)
        parameters["\(bn).bias"] = Tensor(shape: [out], repeating: 0)
        parameters["\(bn).running_mean"] = Tensor(shape: [out], repeating: 0)
        parameters["\(bn).running_var"] = Tensor(shape: [out], repeating: 1)
        if relu { append("\(name).relu", .relu) }
    }

    /// Two 3x3 conv-BN layers with a ReLU between, added to the shortcut (a 1x1 projection when the shape
    /// changes), then a ReLU.
    mutating func basicBlock(_ name: String, out: Int, stride: Int) {
        let input = current, inputShape = shape
        convBN("\(name).conv1", out: out, kernel: 3, stride: stride, padding: 1, relu: true)
        convBN("\(name).conv2", out: out, kernel: 3, stride: 1, padding: 1, relu: false)
        var shortcut = input
        if stride != 1 || inputShape[0] != out {
            let main = current, mainShape = shape
            (current, shape) = (input, inputShape)
            convBN("\(name).downsample", out: out, kernel: 1, stride: stride, padding: 0, relu: false)
            shortcut = current
            (current, shape) = (main, mainShape)
        }
        append("\(name).add", .add, inputs: [current, shortcut])
        append("\(name).relu", .relu)
    }

    /// Global average pooling, flatten and a linear classifier.
    mutating func classifier(classes: [String]) throws -> Network {
        let (height, width) = (shape[1], shape[2])
        precondition(height == width, "global pooling of a square feature map")
        append("avgpool", .avgPool(kernel: height, stride: height)) { [$0[0], 1, 1] }
        append("flatten", .flatten) { [$0.reduce(1, *)] }
        let features = shape[0]
        append("fc", .linear(outFeatures: classes.count, bias: true)) { _ in [classes.count] }
        parameters["fc.weight"] = normal([classes.count, features], fanIn: features)
        parameters["fc.bias"] = Tensor(shape: [classes.count], repeating: 0)
        return try Network(inputShape: inputShape, nodes: nodes, parameters: parameters, classes: classes)
    }
}
