import ACIMCore
import ACIMNetwork
import Foundation
import SwiftProtobuf

/// Imports ONNX models (what `torch.onnx.export` writes) into the network IR: one image or vector input
/// with a batch axis first, float32 weights stored in the file, and the operators of `supportedOperators`
/// (docs/onnx.md). Constants and initializers fold into the weights that use them; Identity and Dropout
/// vanish. The output's features become the classes "0", "1", ...
public enum ONNXImport {
    /// The ONNX operators the importer maps.
    public static let supportedOperators = [
        "Conv", "Gemm", "MatMul", "BatchNormalization", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Gelu", "Softmax", "MaxPool",
        "AveragePool", "GlobalAveragePool", "ReduceMean", "Flatten", "Reshape", "Add", "Mul", "Concat", "Identity", "Dropout",
        "Constant",
    ]

    /// Reads the `.onnx` file at `path`.
    public static func load(path: String) throws -> Model {
        try decode(FileAccess.contents(of: path), path: path)
    }

    /// Imports the bytes of an ONNX model; `path` names the file in errors.
    public static func decode(_ bytes: Data, path: String) throws -> Model {
        let proto: Onnx_ModelProto
        do {
            proto = try Onnx_ModelProto(serializedBytes: bytes)
        } catch {
            throw ACIMError.malformedFile(path: path, reason: "not a readable ONNX protobuf (\(error)); truncated or not an .onnx file?")
        }
        do {
            var importer = try GraphImporter(proto)
            return try importer.model()
        } catch let error as ONNXError {
            throw ACIMError.malformedFile(path: path, reason: error.reason)
        } catch let error as ACIMError {
            throw ACIMError.malformedFile(path: path, reason: error.description)
        }
    }
}

/// Builds the IR graph of one ONNX model, node by node in topological order.
struct GraphImporter {
    let graph: Onnx_GraphProto
    /// Version of the default (ai.onnx) operator set.
    let opset: Int
    var constants: [String: ONNXConstant] = [:]
    /// The IR node (or `input`) computing each ONNX value that is not a constant.
    var activations: [String: String] = [:]
    var nodes: [Node] = []
    var parameters: [String: Tensor] = [:]
    /// Per-sample shape of every IR node and of `input`.
    var shapes: [String: [Int]] = [:]
    /// How many node inputs read each ONNX value.
    let readers: [String: Int]
    /// The batch size fixed by the graph input, when it is not symbolic.
    var fixedBatch: Int?
    var usedNames: Set<String> = [Network.inputName]

    init(_ model: Onnx_ModelProto) throws {
        guard model.hasGraph, !model.graph.node.isEmpty else { throw ONNXError("the model has no graph nodes") }
        graph = model.graph
        let defaultSet = model.opsetImport.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }
        opset = Int(defaultSet?.version ?? 13)
        readers = graph.node.flatMap(\.input).reduce(into: [:]) { $0[$1, default: 0] += 1 }
    }

    mutating func model() throws -> Model {
        for tensor in graph.initializer {
            constants[tensor.name] = try ONNXConstant(tensor, what: "initializer \"\(tensor.name)\"")
        }
        try readInput()
        for index in try topologicalOrder() { try importNode(graph.node[index]) }
        guard let output = graph.output.first, graph.output.count == 1 else {
            throw ONNXError("the graph has \(graph.output.count) outputs: expected one (the logits)")
        }
        guard let last = activations[output.name], last == nodes.last?.name, let shape = shapes[last], shape.count == 1 else {
            throw ONNXError("graph output \"\(output.name)\" is not the per-sample feature vector [F] of the last node (the logits)")
        }
        let network = try Network(inputShape: shapes[Network.inputName]!, nodes: nodes, parameters: parameters,
                                  classes: (0..<shape[0]).map(String.init))
        return Model(network: network, notes: ["source": "onnx"])
    }

    /// The one graph input that is not an initializer: a float tensor `[N, ...]` with fixed sizes after
    /// the batch axis.
    private mutating func readInput() throws {
        let inputs = graph.input.filter { constants[$0.name] == nil }
        guard inputs.count == 1, let input = inputs.first else {
            throw ONNXError("the graph has \(inputs.count) inputs besides its initializers: expected one (the images or feature vectors)")
        }
        let tensor = input.type.tensorType
        guard tensor.elemType == Int32(Onnx_TensorProto.DataType.float.rawValue) else {
            throw ONNXError("graph input \"\(input.name)\" has element type \(tensor.elemType): expected float (1)")
        }
        let dims = tensor.shape.dim
        guard (2...4).contains(dims.count), tensor.hasShape else {
            throw ONNXError("graph input \"\(input.name)\" has \(dims.count) axes: expected [N, C, H, W] or [N, F]")
        }
        if case let .dimValue(n)? = dims[0].value, n > 0 { fixedBatch = Int(n) }
        let sample = try dims.dropFirst().enumerated().map { axis, dim -> Int in
            guard case let .dimValue(size)? = dim.value, size > 0 else {
                let found = if case let .dimParam(name)? = dim.value { "symbolic \"\(name)\"" } else { "unknown" }
                throw ONNXError("graph input \"\(input.name)\" axis \(axis + 1) is \(found) (a dynamic input shape): expected a fixed size on every axis but the batch axis")
            }
            return Int(size)
        }
        guard sample.count != 2 else { throw ONNXError("graph input \"\(input.name)\" is [N, H, W]: expected [N, C, H, W] or [N, F]") }
        activations[input.name] = Network.inputName
        shapes[Network.inputName] = sample
    }

    /// Node indices with every node after the nodes computing its inputs (file order where free); throws on
    /// a cycle or an input nothing computes.
    private func topologicalOrder() throws -> [Int] {
        let available = Set(constants.keys).union(activations.keys)
        var producer: [String: Int] = [:]
        for (index, node) in graph.node.enumerated() {
            for output in node.output where !output.isEmpty {
                guard producer[output] == nil, !available.contains(output) else {
                    throw ONNXError("\(describe(node)) writes \"\(output)\", which another node, an initializer or the graph input already provides")
                }
                producer[output] = index
            }
        }
        var pending = [Int](repeating: 0, count: graph.node.count)
        var dependents = [[Int]](repeating: [], count: graph.node.count)
        for (index, node) in graph.node.enumerated() {
            for input in node.input where !input.isEmpty && !available.contains(input) {
                guard let source = producer[input] else {
                    throw ONNXError("\(describe(node)) reads \"\(input)\", which no node, initializer or graph input provides")
                }
                pending[index] += 1
                dependents[source].append(index)
            }
        }
        var ready = pending.indices.filter { pending[$0] == 0 }
        var order: [Int] = []
        while let next = ready.min() {
            ready.removeAll { $0 == next }
            order.append(next)
            for dependent in dependents[next] {
                pending[dependent] -= 1
                if pending[dependent] == 0 { ready.append(dependent) }
            }
        }
        if order.count < graph.node.count, let stuck = pending.indices.first(where: { pending[$0] > 0 }) {
            throw ONNXError("the graph has a cycle: \(describe(graph.node[stuck])) depends on its own output")
        }
        return order
    }

    func describe(_ node: Onnx_NodeProto) -> String {
        "node \"\(node.name.isEmpty ? node.output.first ?? "" : node.name)\" (\(node.opType))"
    }

    /// A fresh IR node name from the ONNX node's name (`/layer1/conv/Conv` -> `layer1.conv.Conv`).
    mutating func irName(_ node: Onnx_NodeProto, suffix: String = "") -> String {
        var base = node.name.split(separator: "/").joined(separator: ".")
        if base.isEmpty { base = "\(node.opType.lowercased())_\(nodes.count)" }
        base += suffix
        var name = base, k = 1
        while usedNames.contains(name) { k += 1; name = "\(base)_\(k)" }
        usedNames.insert(name)
        return name
    }

    /// The IR node computing `value`; throws when it is a constant.
    func activation(_ value: String, of node: Onnx_NodeProto) throws -> String {
        guard let name = activations[value] else {
            throw ONNXError("\(describe(node)) gets the constant \"\(value)\" where it expects a computed tensor")
        }
        return name
    }

    /// The constant `value`; throws when it is computed.
    func constant(_ value: String, of node: Onnx_NodeProto, role: String) throws -> ONNXConstant {
        guard let constant = constants[value] else {
            throw ONNXError("\(describe(node)) takes its \(role) from \"\(value)\", which is computed: expected a constant (an initializer or Constant node)")
        }
        return constant
    }

    /// Appends an IR node with its parameters and records its shape.
    mutating func append(_ node: Node, parameters new: [String: Tensor] = [:], for source: Onnx_NodeProto) throws {
        parameters.merge(new) { $1 }
        do {
            shapes[node.name] = try Network.outputShape(of: node, inputs: node.inputs.map { shapes[$0]! }, parameters: parameters)
        } catch let error as ACIMError {
            throw ONNXError("\(describe(source)): \(error.description)")
        }
        nodes.append(node)
    }
}
