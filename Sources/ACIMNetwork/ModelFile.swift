import ACIMCore
import Foundation

/// A model as stored in a file: the network, optionally its subtask masks, and free-form notes
/// (training seed, the subtask a pruned network serves, ...).
public struct Model: Sendable {
    public var network: Network
    public var subtaskNetwork: SubtaskAdaptiveNetwork?
    public var notes: [String: String]

    public init(network: Network, notes: [String: String] = [:]) {
        self.network = network
        self.notes = notes
    }

    public init(subtaskNetwork: SubtaskAdaptiveNetwork, notes: [String: String] = [:]) {
        self.network = subtaskNetwork.base
        self.subtaskNetwork = subtaskNetwork
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
        let document: GraphDocument
        do { document = try JSONDecoder().decode(GraphDocument.self, from: Data(text.utf8)) } catch let DecodingError.keyNotFound(key, context) {
            throw ACIMError.malformedFile(path: path, reason: "graph JSON at \(codingPath(context.codingPath)): missing key \"\(key.stringValue)\"")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw ACIMError.malformedFile(path: path, reason: "graph JSON at \(codingPath(context.codingPath)): \(context.debugDescription)")
        } catch {
            throw ACIMError.malformedFile(path: path, reason: "graph JSON is not valid JSON")
        }
        do { return try document.model(tensors: contents.tensors) } catch let error as ACIMError {
            throw ACIMError.malformedFile(path: path, reason: error.description)
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

    private static func codingPath(_ path: [CodingKey]) -> String {
        path.isEmpty ? "top level" : path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
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
    var nodes: [NodeEntry]
    var subtasks: SubtaskEntry?
    var notes: [String: String]?

    init(_ model: Model) {
        let network = model.network
        format = ModelFile.formatName
        version = ModelFile.formatVersion
        input_shape = network.inputShape
        classes = network.classes
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
        guard format == ModelFile.formatName, version == ModelFile.formatVersion else {
            throw ACIMError.invalidParameter(name: "format/version", value: "\(format) \(version)",
                                             expected: "\(ModelFile.formatName) \(ModelFile.formatVersion)")
        }
        let nodes = try self.nodes.map { try $0.node() }
        let parameters = tensors.filter { !$0.key.hasPrefix("san.") }
        let network = try Network(inputShape: input_shape, nodes: nodes, parameters: parameters, classes: classes)
        guard let subtasks else { return Model(network: network, notes: notes ?? [:]) }
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
        return Model(subtaskNetwork: san, notes: notes ?? [:])
    }
}

extension GraphDocument.NodeEntry {
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
                throw ACIMError.invalidParameter(name: "node \(name) \(key)", value: "\(value)", expected: "an integer in 0...\(Self.sizeLimit)")
            }
        }
        func need<T>(_ value: T?, _ key: String) throws -> T {
            guard let value else { throw ACIMError.inconsistentParameters("node \(name) (\(op)) needs \"\(key)\"") }
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
            let k = try need(kernel, "kernel").square(name: name, key: "kernel")
            let s = try stride?.square(name: name, key: "stride") ?? k
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
            throw ACIMError.invalidParameter(name: "node \(name) op", value: op, expected: "one of \(Self.kinds.joined(separator: ", "))")
        }
        return Node(name, operation, inputs: inputs)
    }
}
