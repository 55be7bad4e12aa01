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
            guard node.inputs.count == node.operation.arity else {
                throw ACIMError.inconsistentParameters(
                    "node \(node.name) (\(node.operation.kind)) has \(node.inputs.count) inputs: expected \(node.operation.arity)")
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
        case let .conv2d(_, _, _, _, bias), let .linear(_, bias):
            return [("\(n).weight", true), ("\(n).bias", bias), ("\(n).input_gain", false)]
        case .batchNorm:
            return ["weight", "bias", "running_mean", "running_var"].map { ("\(n).\($0)", true) }
        default:
            return []
        }
    }

    private static func outputShape(of node: Node, inputs: [[Int]], parameters: [String: Tensor]) throws -> [Int] {
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
        case let .conv2d(out, k, stride, padding, bias):
            guard input.count == 3 else { throw fail("[C, H, W]") }
            guard out > 0, k > 0, stride > 0, padding >= 0 else {
                throw ACIMError.invalidParameter(name: "\(node.name) conv2d", value: "out \(out) kernel \(k) stride \(stride) padding \(padding)",
                                                 expected: "positive channels, kernel and stride, non-negative padding")
            }
            let h = (input[1] + 2 * padding - k) / stride + 1, w = (input[2] + 2 * padding - k) / stride + 1
            guard input[1] + 2 * padding >= k, input[2] + 2 * padding >= k else { throw fail("an image at least as large as the \(k)x\(k) kernel") }
            try check("weight", [out, input[0], k, k])
            try check("bias", [out], required: bias)
            try check("input_gain", [input[0]], required: false)
            return [out, h, w]
        case let .linear(out, bias):
            guard input.count == 1 else { throw fail("a feature vector [F] (flatten first)") }
            guard out > 0 else { throw ACIMError.invalidParameter(name: "\(node.name) out_features", value: "\(out)", expected: "a positive integer") }
            try check("weight", [out, input[0]])
            try check("bias", [out], required: bias)
            try check("input_gain", [input[0]], required: false)
            return [out]
        case let .batchNorm(epsilon):
            guard epsilon > 0 else { throw ACIMError.invalidParameter(name: "\(node.name) eps", value: "\(epsilon)", expected: "a positive number") }
            for suffix in ["weight", "bias", "running_mean", "running_var"] { try check(suffix, [input[0]]) }
            return input
        case .relu, .sigmoid:
            return input
        case .softmax:
            guard input.count == 1 else { throw fail("a feature vector [F]") }
            return input
        case let .maxPool(k, stride), let .avgPool(k, stride):
            guard input.count == 3 else { throw fail("[C, H, W]") }
            guard k > 0, stride > 0, input[1] >= k, input[2] >= k else { throw fail("a positive kernel and stride no larger than the image") }
            return [input[0], (input[1] - k) / stride + 1, (input[2] - k) / stride + 1]
        case .flatten:
            return [input.reduce(1, *)]
        case let .reshape(shape):
            guard !shape.isEmpty, shape.allSatisfy({ $0 > 0 }), checkedProduct(shape) == input.reduce(1, *) else {
                throw fail("a non-empty shape with the same element count as \(shape)")
            }
            return shape
        case .add:
            guard inputs[1] == input else { throw fail("both inputs of the same shape, got \(inputs[1])") }
            return input
        }
    }

    /// Multiply-accumulate operations of one inference, per node that performs them.
    public var macsPerNode: [String: Int] {
        var macs: [String: Int] = [:]
        for node in nodes {
            let out = shapes[node.name]!
            switch node.operation {
            case let .conv2d(_, k, _, _, _):
                macs[node.name] = out.reduce(1, *) * shapes[node.inputs[0]]![0] * k * k
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
