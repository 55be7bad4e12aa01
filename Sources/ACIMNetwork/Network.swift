import ACIMCore

/// A feed-forward network: nodes in execution order over one input, with named parameter tensors.
///
/// Construction infers every node's per-sample output shape and checks every parameter tensor against it,
/// so a network that exists is one the executor can run.
public struct Network: Sendable {
    /// Name by which nodes refer to the network input.
    public static let inputName = "input"
    /// Largest element count of the input and of any node's per-sample output.
    static let sizeLimit = 1 << 30

    /// Per-sample input shape, `[C, H, W]` or `[F]`.
    public let inputShape: [Int]
    public let nodes: [Node]
    public internal(set) var parameters: [String: Tensor]
    /// Class labels of the output features, in order.
    public let classes: [String]
    /// Per-sample output shape of every node (and of `input`).
    public let shapes: [String: [Int]]

    public init(inputShape: [Int], nodes: [Node], parameters: [String: Tensor], classes: [String]) throws {
        try self.init(inputShape: inputShape, nodes: nodes, parameters: parameters, classes: classes, checkOutput: true)
    }

    /// `checkOutput: false` skips the output-versus-classes check (for building a network layer by layer).
    init(inputShape: [Int], nodes: [Node], parameters: [String: Tensor], classes: [String], checkOutput: Bool) throws {
        guard !inputShape.isEmpty, inputShape.allSatisfy({ $0 > 0 }), let size = checkedProduct(inputShape), size <= Network.sizeLimit else {
            throw ACIMError.shapeMismatch("input shape \(inputShape): expected positive dimensions, at most 2^30 elements")
        }
        guard !nodes.isEmpty else { throw ACIMError.shapeMismatch("the network has no nodes") }
        var shapes = [Network.inputName: inputShape]
        for node in nodes {
            guard shapes[node.name] == nil else {
                throw ACIMError.inconsistentParameters("node name \"\(node.name)\" is used twice")
            }
            let counts = node.operation.inputCounts
            guard counts.contains(node.inputs.count) else {
                let expected = "\(counts.lowerBound)" + (counts.upperBound == .max ? " or more" : "")
                throw ACIMError.inconsistentParameters(
                    "node \(node.name) (\(node.operation.kind)) has \(node.inputs.count) inputs: expected \(expected)")
            }
            let inputs = try node.inputs.map { name -> [Int] in
                guard let shape = shapes[name] else {
                    throw ACIMError.inconsistentParameters("node \(node.name) reads \"\(name)\", which is not an earlier node")
                }
                return shape
            }
            let shape = try Network.outputShape(of: node, inputs: inputs, parameters: parameters)
            guard let size = checkedProduct(shape), size <= Network.sizeLimit else {
                throw ACIMError.shapeMismatch("node \(node.name) (\(node.operation.kind)) has output shape \(shape): expected at most 2^30 elements")
            }
            shapes[node.name] = shape
        }
        let outputs = shapes[nodes[nodes.count - 1].name]!
        guard !checkOutput || (outputs.count == 1 && outputs[0] == classes.count) else {
            throw ACIMError.shapeMismatch("the output has shape \(outputs): expected [\(classes.count)] (one feature per class)")
        }
        let known = Set(nodes.flatMap { node in Network.parameterNames(of: node).map(\.name) })
        if checkOutput, let stray = parameters.keys.sorted().first(where: { !known.contains($0) }) {
            throw ACIMError.inconsistentParameters("tensor \"\(stray)\" belongs to no node")
        }
        self.inputShape = inputShape
        self.nodes = nodes
        self.parameters = parameters
        self.classes = classes
        self.shapes = shapes
    }

    /// The label each output stands for: its class as a number when every class is one (digits), else its
    /// index.
    public var outputLabels: [Int] {
        let numbers = classes.compactMap { Int($0) }
        return numbers.count == classes.count ? numbers : Array(classes.indices)
    }

    /// The last node's name; its output is the network's output.
    public var outputName: String { nodes[nodes.count - 1].name }

    public func node(named name: String) -> Node? { nodes.first { $0.name == name } }

    /// Names of the nodes that read the output of `name`.
    public func consumers(of name: String) -> [Node] { nodes.filter { $0.inputs.contains(name) } }

    /// The parameter tensors a node may carry and whether each is required.
    static func parameterNames(of node: Node) -> [(name: String, required: Bool)] {
        let n = node.name
        switch node.operation {
        case let .conv2d(conv):
            return [("\(n).weight", true), ("\(n).bias", conv.bias), ("\(n).input_gain", false)]
        case let .linear(_, bias):
            return [("\(n).weight", true), ("\(n).bias", bias), ("\(n).input_gain", false)]
        case let .batchNorm(_, affine):
            return (affine ? ["weight", "bias", "running_mean", "running_var"] : ["running_mean", "running_var"]).map { ("\(n).\($0)", true) }
        default:
            return []
        }
    }

    /// The per-sample output shape of `node` for inputs of shapes `inputs`; checks its parameter tensors in
    /// `parameters`.
    public static func outputShape(of node: Node, inputs: [[Int]], parameters: [String: Tensor]) throws -> [Int] {
        let input = inputs[0]
        func fail(_ expected: String) -> ACIMError {
            .shapeMismatch("node \(node.name) (\(node.operation.kind)) gets input \(input): expected \(expected)")
        }
        func check(_ suffix: String, _ shape: [Int], required: Bool = true) throws {
            let name = "\(node.name).\(suffix)"
            guard let tensor = parameters[name] else {
                if required { throw ACIMError.inconsistentParameters("node \(node.name) needs tensor \"\(name)\" of shape \(shape)") }
                return
            }
            guard tensor.shape == shape else {
                throw ACIMError.shapeMismatch("tensor \"\(name)\" has shape \(tensor.shape): expected \(shape)")
            }
        }
        switch node.operation {
        case let .conv2d(conv):
            guard input.count == 3 else { throw fail("[C, H, W]") }
            guard conv.kernel.count == 2, conv.stride.count == 2, conv.dilation.count == 2, conv.padding.count == 4,
                  conv.outChannels > 0, conv.groups > 0, (conv.kernel + conv.stride + conv.dilation).allSatisfy({ $0 > 0 }),
                  conv.padding.allSatisfy({ $0 >= 0 }) else {
                throw ACIMError.invalidParameter(
                    name: "\(node.name) conv2d",
                    value: "out \(conv.outChannels) kernel \(conv.kernel) stride \(conv.stride) padding \(conv.padding) dilation \(conv.dilation) groups \(conv.groups)",
                    expected: "positive channels and groups, kernel, stride and dilation (height, width) positive, padding (top, left, bottom, right) non-negative")
            }
            guard input[0] % conv.groups == 0, conv.outChannels % conv.groups == 0 else {
                throw fail("input and output channels (\(conv.outChannels)) divisible by the \(conv.groups) groups")
            }
            guard let size = conv.outputSize(height: input[1], width: input[2]) else {
                throw fail("a padded image at least as large as the \(conv.kernel[0])x\(conv.kernel[1]) kernel (dilation \(conv.dilation))")
            }
            try check("weight", [conv.outChannels, input[0] / conv.groups] + conv.kernel)
            try check("bias", [conv.outChannels], required: conv.bias)
            try check("input_gain", [input[0]], required: false)
            return [conv.outChannels, size.height, size.width]
        case let .linear(out, bias):
            guard input.count == 1 else { throw fail("a feature vector [F] (flatten first)") }
            guard out > 0 else { throw ACIMError.invalidParameter(name: "\(node.name) out_features", value: "\(out)", expected: "a positive integer") }
            try check("weight", [out, input[0]])
            try check("bias", [out], required: bias)
            try check("input_gain", [input[0]], required: false)
            return [out]
        case let .batchNorm(epsilon, affine):
            guard epsilon > 0 else { throw ACIMError.invalidParameter(name: "\(node.name) eps", value: "\(epsilon)", expected: "a positive number") }
            for suffix in ["running_mean", "running_var"] + (affine ? ["weight", "bias"] : []) { try check(suffix, [input[0]]) }
            return input
        case .relu, .leakyRelu, .tanh, .gelu, .silu, .sigmoid:
            return input
        case .softmax:
            guard input.count == 1 else { throw fail("a feature vector [F]") }
            return input
        case let .maxPool(k, stride), let .avgPool(k, stride):
            guard input.count == 3 else { throw fail("[C, H, W]") }
            guard k > 0, stride > 0, input[1] >= k, input[2] >= k else { throw fail("a positive kernel and stride no larger than the image") }
            return [input[0], (input[1] - k) / stride + 1, (input[2] - k) / stride + 1]
        case .globalAvgPool:
            guard input.count == 3 else { throw fail("[C, H, W]") }
            return [input[0], 1, 1]
        case .flatten:
            return [input.reduce(1, *)]
        case let .reshape(shape):
            return try Network.resolve(shape, count: input.reduce(1, *)) ?? { throw fail("a non-empty shape with the same element count as \(shape)") }()
        case .add, .mul:
            guard inputs[1] == input else { throw fail("both inputs of the same shape, got \(inputs[1])") }
            return input
        case .concat:
            guard inputs.allSatisfy({ $0.count == input.count && $0.dropFirst() == input.dropFirst() }) else {
                throw fail("inputs that differ only in their first axis, got \(inputs.dropFirst().map { "\($0)" }.joined(separator: ", "))")
            }
            return [inputs.reduce(0) { $0 + $1[0] }] + input.dropFirst()
        }
    }

    /// `shape` with its -1 entry (at most one) replaced by what the others leave of `count` elements; nil
    /// when no entry can make the element count `count`.
    static func resolve(_ shape: [Int], count: Int) -> [Int]? {
        let free = shape.indices.filter { shape[$0] == -1 }
        guard !shape.isEmpty, free.count <= 1, shape.allSatisfy({ $0 > 0 || $0 == -1 }),
              let known = checkedProduct(shape.filter { $0 != -1 }) else { return nil }
        guard let index = free.first else { return known == count ? shape : nil }
        guard count % known == 0, count > 0 else { return nil }
        var resolved = shape
        resolved[index] = count / known
        return resolved
    }

    /// Multiply-accumulate operations of one inference, per node that performs them.
    public var macsPerNode: [String: Int] {
        var macs: [String: Int] = [:]
        for node in nodes {
            let out = shapes[node.name]!
            switch node.operation {
            case let .conv2d(conv):
                macs[node.name] = out.reduce(1, *) * conv.patch(inChannels: shapes[node.inputs[0]]![0])
            case .linear:
                macs[node.name] = out[0] * shapes[node.inputs[0]]![0]
            default: break
            }
        }
        return macs
    }

    /// Multiply-accumulate operations of one inference.
    public var macs: Int { macsPerNode.values.reduce(0, +) }

    /// Number of scalar parameters.
    public var parameterCount: Int { parameters.values.reduce(0) { $0 + $1.count } }
}
