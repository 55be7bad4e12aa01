import ACIMCore
import Foundation

/// A model as stored in a file: the network, optionally its subtask masks, what it does to raw inputs
/// before the first layer, and free-form notes (training seed, the subtask a pruned network serves, ...).
public struct Model: Sendable {
    public var network: Network
    public var subtaskNetwork: SubtaskAdaptiveNetwork?
    public var preprocessing: Preprocessing
    public var notes: [String: String]

    public init(network: Network, preprocessing: Preprocessing = .identity, notes: [String: String] = [:]) {
        self.network = network
        self.preprocessing = preprocessing
        self.notes = notes
    }

    public init(subtaskNetwork: SubtaskAdaptiveNetwork, preprocessing: Preprocessing = .identity, notes: [String: String] = [:]) {
        self.network = subtaskNetwork.base
        self.subtaskNetwork = subtaskNetwork
        self.preprocessing = preprocessing
        self.notes = notes
    }
}

/// Model files: safetensors whose `__metadata__["acimsim.graph"]` holds the graph as JSON
/// (docs/model-format.md). Mask tensors are `san.utility.<k>.<conv>` and `san.scaling.<k>.<conv>`.
public enum ModelFile {
    public static let metadataKey = "acimsim.graph"
    public static let formatName = "acimsim.network"
    public static let formatVersion = 1

    public static func load(path: String) throws -> Model {
        try decode(FileAccess.contents(of: path), path: path)
    }

    public static func save(_ model: Model, path: String) throws {
        try FileAccess.write(encode(model), to: path)
    }

    public static func decode(_ bytes: Data, path: String) throws -> Model {
        let contents = try SafeTensors.decode(bytes, path: path)
        guard let text = contents.metadata[metadataKey] else {
            throw ACIMError.malformedFile(path: path, reason: "__metadata__ has no \"\(metadataKey)\" entry with the graph JSON")
        }
        if let stray = contents.metadata.keys.sorted().first(where: { $0.hasPrefix("acimsim.") && $0 != metadataKey }) {
            throw ACIMError.malformedFile(path: path, reason: "__metadata__ key \"\(stray)\" is unknown: expected only \"\(metadataKey)\" among acimsim.* keys")
        }
        do {
            let document = try GraphSchema.decode(Data(text.utf8))
            return try document.model(tensors: contents.tensors)
        } catch let error as ACIMError {
            throw ACIMError.malformedFile(path: path, reason: error.description)
        } catch let error as GraphSchema.Failure {
            throw ACIMError.malformedFile(path: path, reason: error.message)
        }
    }

    public static func encode(_ model: Model) throws -> Data {
        var tensors = model.network.parameters
        if let san = model.subtaskNetwork {
            for k in san.basicSubtasks.indices {
                for (s, site) in san.sites.enumerated() {
                    let u = san.utilityParameters[k][s].map { abs($0) }
                    tensors["san.utility.\(k).\(site.filters)"] = Tensor(shape: [u.count], data: u)
                    if site.scaled { tensors["san.scaling.\(k).\(site.filters)"] = Tensor(shape: [u.count], data: san.scaling[k][s]) }
                }
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(GraphDocument(model)), as: UTF8.self)
        return try SafeTensors.encode(.init(tensors: tensors, metadata: [metadataKey: json]))
    }
}

/// The JSON graph document of a model file.
struct GraphDocument: Codable {
    struct NodeEntry: Codable {
        var name: String
        var op: String
        var inputs: [String]
        var out_channels: Int?
        var kernel: Extent?
        var stride: Extent?
        var padding: Extent?
        var dilation: Extent?
        var groups: Int?
        var out_features: Int?
        var bias: Bool?
        var eps: Float?
        var affine: Bool?
        var negative_slope: Float?
        var shape: [Int]?
    }

    struct SiteEntry: Codable {
        var filters: String
        var gate: String
        var scaled: Bool
        var tie: String?
    }

    struct SubtaskEntry: Codable {
        var basic: [[Int]]
        var threshold: Float
        var beta: Float
        var sites: [SiteEntry]
    }

    var format: String
    var version: Int
    var input_shape: [Int]
    var classes: [String]
    var preprocessing: Preprocessing
    var nodes: [NodeEntry]
    var subtasks: SubtaskEntry?
    var notes: [String: String]?

    init(_ model: Model) {
        let network = model.network
        format = ModelFile.formatName
        version = ModelFile.formatVersion
        input_shape = network.inputShape
        classes = network.classes
        preprocessing = model.preprocessing
        notes = model.notes.isEmpty ? nil : model.notes
        nodes = network.nodes.map { node in
            var entry = NodeEntry(name: node.name, op: node.operation.kind, inputs: node.inputs)
            switch node.operation {
            case let .conv2d(conv): entry.set(conv)
            case let .linear(out, bias): (entry.out_features, entry.bias) = (out, bias)
            case let .batchNorm(eps, affine): (entry.eps, entry.affine) = (eps, affine ? nil : false)
            case let .leakyRelu(slope): entry.negative_slope = slope
            case let .maxPool(k, stride), let .avgPool(k, stride): (entry.kernel, entry.stride) = (Extent(k), Extent(stride))
            case let .reshape(shape): entry.shape = shape
            case .relu, .tanh, .gelu, .silu, .globalAvgPool, .flatten, .add, .mul, .concat, .sigmoid, .softmax: break
            }
            return entry
        }
        if let san = model.subtaskNetwork {
            subtasks = SubtaskEntry(basic: san.basicSubtasks, threshold: san.threshold, beta: san.beta,
                                    sites: san.sites.map { SiteEntry(filters: $0.filters, gate: $0.gate, scaled: $0.scaled, tie: $0.tie) })
        }
    }

    func model(tensors: [String: Tensor]) throws -> Model {
        let nodes = try self.nodes.enumerated().map { index, entry in
            do { return try entry.node() } catch let error as ACIMError {
                throw GraphSchema.Failure(message: "node \(index) (\(entry.name), \(entry.op)): \(error.description)")
            }
        }
        let parameters = tensors.filter { !$0.key.hasPrefix("san.") }
        let network = try Network(inputShape: input_shape, nodes: nodes, parameters: parameters, classes: classes)
        do { try preprocessing.check(inputShape: input_shape) } catch let error as ACIMError {
            throw GraphSchema.Failure(message: "\"preprocessing\": \(error.description)")
        }
        let maskNames = subtasks.map { subtasks in
            subtasks.basic.indices.flatMap { k in
                subtasks.sites.flatMap { site in ["san.utility.\(k).\(site.filters)"] + (site.scaled ? ["san.scaling.\(k).\(site.filters)"] : []) }
            }
        } ?? []
        if let stray = tensors.keys.sorted().first(where: { $0.hasPrefix("san.") && !maskNames.contains($0) }) {
            throw GraphSchema.Failure(message: "tensor \"\(stray)\" is used by no node or mask site"
                                      + (subtasks == nil ? " (the graph has no \"subtasks\")" : ""))
        }
        guard let subtasks else { return Model(network: network, preprocessing: preprocessing, notes: notes ?? [:]) }
        let sites = subtasks.sites.map { MaskSite(filters: $0.filters, gate: $0.gate, scaled: $0.scaled, tie: $0.tie) }
        func masks(_ kind: String, required: Bool) throws -> [[[Float]]] {
            try subtasks.basic.indices.map { k in
                try sites.map { site in
                    let name = "san.\(kind).\(k).\(site.filters)"
                    guard let tensor = tensors[name] else {
                        if required || site.scaled { throw ACIMError.inconsistentParameters("missing mask tensor \"\(name)\"") }
                        return Array(repeating: 1, count: network.shapes[site.filters]?.first ?? 0)
                    }
                    return tensor.data
                }
            }
        }
        let san = try SubtaskAdaptiveNetwork(base: network, basicSubtasks: subtasks.basic, sites: sites,
                                             threshold: subtasks.threshold, beta: subtasks.beta,
                                             utilityParameters: try masks("utility", required: true),
                                             scaling: try masks("scaling", required: false))
        return Model(subtaskNetwork: san, preprocessing: preprocessing, notes: notes ?? [:])
    }
}

extension GraphDocument.NodeEntry {
    /// The keys a node of each op may carry besides `name`, `op` and `inputs`: required, then optional.
    /// Any other key is an error (GraphSchema).
    static let keys: [String: GraphSchema.Keys] = [
        "conv2d": .init(required: ["out_channels", "kernel"], optional: ["stride", "padding", "dilation", "groups", "bias"]),
        "linear": .init(required: ["out_features"], optional: ["bias"]),
        "batchnorm": .init(required: [], optional: ["eps", "affine"]),
        "leaky_relu": .init(required: [], optional: ["negative_slope"]),
        "maxpool": .init(required: ["kernel"], optional: ["stride"]),
        "avgpool": .init(required: ["kernel"], optional: ["stride"]),
        "reshape": .init(required: ["shape"], optional: []),
        "relu": .none, "tanh": .none, "gelu": .none, "silu": .none, "global_avgpool": .none, "flatten": .none, "add": .none,
        "mul": .none, "concat": .none, "sigmoid": .none, "softmax": .none,
    ]

    init(name: String, op: String, inputs: [String]) {
        self.name = name
        self.op = op
        self.inputs = inputs
    }

    /// Largest value accepted for any size attribute.
    static let sizeLimit = 1 << 24

    func node() throws -> Node {
        let sizes: [(String, Int?)] = [("out_channels", out_channels), ("groups", groups), ("out_features", out_features)]
            + [("kernel", kernel), ("stride", stride), ("padding", padding), ("dilation", dilation)].flatMap { key, extent in
                (extent?.values ?? []).map { (key, $0) }
            }
            + (shape ?? []).map { ("shape", $0 == -1 ? 0 : $0) }
        for (key, value) in sizes {
            if let value, !(0...Self.sizeLimit).contains(value) {
                throw ACIMError.invalidParameter(name: "\"\(key)\"", value: "\(value)", expected: "an integer in 0...\(Self.sizeLimit)")
            }
        }
        func need<T>(_ value: T?, _ key: String) throws -> T {
            guard let value else { throw ACIMError.inconsistentParameters("missing required key \"\(key)\"") }
            return value
        }
        let operation: Operation
        switch op {
        case "conv2d": operation = .conv2d(try convolution(outChannels: try need(out_channels, "out_channels"), kernel: try need(kernel, "kernel")))
        case "linear": operation = .linear(outFeatures: try need(out_features, "out_features"), bias: bias ?? true)
        case "batchnorm": operation = .batchNorm(epsilon: eps ?? 1e-5, affine: affine ?? true)
        case "relu": operation = .relu
        case "leaky_relu": operation = .leakyRelu(slope: negative_slope ?? 0.01)
        case "tanh": operation = .tanh
        case "gelu": operation = .gelu
        case "silu": operation = .silu
        case "maxpool", "avgpool":
            let k = try need(kernel, "kernel").square(key: "kernel")
            let s = try stride?.square(key: "stride") ?? k
            operation = op == "maxpool" ? .maxPool(kernel: k, stride: s) : .avgPool(kernel: k, stride: s)
        case "global_avgpool": operation = .globalAvgPool
        case "flatten": operation = .flatten
        case "reshape": operation = .reshape(try need(shape, "shape"))
        case "add": operation = .add
        case "mul": operation = .mul
        case "concat": operation = .concat
        case "sigmoid": operation = .sigmoid
        case "softmax": operation = .softmax
        default:
            throw ACIMError.invalidParameter(name: "\"op\"", value: op, expected: "one of " + Self.keys.keys.sorted().joined(separator: ", "))
        }
        return Node(name, operation, inputs: inputs)
    }
}
