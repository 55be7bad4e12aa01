import ACIMCore

/// A network materialised for one subtask: pruned filters removed, scaling kept as
/// per-channel input gains of the next layer, batch norm re-estimated, outputs only for the subtask's classes.
public struct PrunedNetwork: Sendable {
    public let subtask: Subtask
    public let network: Network
    /// Original class index of each output.
    public let outputClasses: [Int]
    /// Kept and total filters per masked convolution, in site order.
    public let filters: [(layer: String, kept: Int, total: Int)]
    /// MACs of the pruned network over those of the base network.
    public let macFraction: Double
}

/// Prunes a subtask-adaptive network per subtask and caches the result keyed by the (sorted) subtask.
public struct SubtaskPruner: Sendable {
    public let subtaskNetwork: SubtaskAdaptiveNetwork
    public let calibration: Dataset
    private var cache: [Subtask: PrunedNetwork] = [:]

    public init(_ subtaskNetwork: SubtaskAdaptiveNetwork, calibration: Dataset) {
        self.subtaskNetwork = subtaskNetwork
        self.calibration = calibration
    }

    /// The pruned network of `subtask`, built once and then served from the cache.
    public mutating func prune(_ subtask: Subtask) throws -> PrunedNetwork {
        if let cached = cache[subtask] { return cached }
        let pruned = try subtaskNetwork.prune(subtask, calibration: calibration)
        cache[subtask] = pruned
        return pruned
    }

    /// The base network with the subtask's gates and batch norm re-estimated under them: what the pruned
    /// network must reproduce on the subtask's outputs.
    public func masked(_ subtask: Subtask) throws -> (network: Network, gates: [String: [Float]]) {
        let gates = try subtaskNetwork.gates(for: subtask)
        return (try subtaskNetwork.base.calibrated(on: calibration, gates: gates), gates)
    }
}

extension SubtaskAdaptiveNetwork {
    /// Builds the physically smaller network of `subtask` and re-estimates its batch norm on `calibration`.
    public func prune(_ subtask: Subtask, calibration: Dataset) throws -> PrunedNetwork {
        let masks = try masks(for: subtask)
        let base = self.base
        let served = classes(of: subtask)
        // Kept channels (original indices) of every node output, and gains waiting for the next conv/linear.
        var kept: [String: [Int]] = [Network.inputName: Array(0..<base.inputShape[0])]
        var pending: [String: [Float]] = [:]
        var nodes: [Node] = []
        var parameters: [String: Tensor] = [:]
        var filterCounts: [(String, Int, Int)] = []
        func fail(_ node: Node, _ why: String) -> ACIMError {
            .inconsistentParameters("cannot prune \(node.name) (\(node.operation.kind)): \(why)")
        }
        for node in base.nodes {
            let input = kept[node.inputs[0]]!
            let gain = pending[node.inputs[0]]
            var operation = node.operation
            var output = input
            switch node.operation {
            case let .conv2d(conv):
                guard conv.groups == 1 else { throw fail(node, "a grouped convolution cannot drop single filters") }
                let (out, taps) = (conv.outChannels, conv.kernel[0] * conv.kernel[1])
                var rows = Array(0..<out)
                if let s = sites.firstIndex(where: { $0.filters == node.name }) {
                    rows = rows.filter { masks.binary[s][$0] > 0 }
                    filterCounts.append((node.name, rows.count, out))
                }
                let inChannels = base.shapes[node.inputs[0]]![0]
                let w = base.parameters["\(node.name).weight"]!.data
                var weight: [Float] = []
                for r in rows { for c in input { weight.append(contentsOf: w[((r * inChannels + c) * taps)..<((r * inChannels + c + 1) * taps)]) } }
                parameters["\(node.name).weight"] = Tensor(shape: [rows.count, input.count] + conv.kernel, data: weight)
                if conv.bias { parameters["\(node.name).bias"] = slice(base, "\(node.name).bias", rows) }
                setInputGain(node, input: input, gain: gain, into: &parameters)
                var pruned = conv
                pruned.outChannels = rows.count
                operation = .conv2d(pruned)
                output = rows
            case let .linear(out, bias):
                let isClassifier = base.consumers(of: node.name).isEmpty
                    || base.consumers(of: node.name).allSatisfy { [.sigmoid, .softmax].contains($0.operation) && base.consumers(of: $0.name).isEmpty }
                let rows = isClassifier ? served : Array(0..<out)
                let features = base.shapes[node.inputs[0]]![0]
                let w = base.parameters["\(node.name).weight"]!.data
                parameters["\(node.name).weight"] = Tensor(shape: [rows.count, input.count], data: rows.flatMap { r in input.map { w[r * features + $0] } })
                if bias { parameters["\(node.name).bias"] = slice(base, "\(node.name).bias", rows) }
                setInputGain(node, input: input, gain: gain, into: &parameters)
                operation = .linear(outFeatures: rows.count, bias: bias)
                output = rows
            case let .batchNorm(_, affine):
                for suffix in ["running_mean", "running_var"] + (affine ? ["weight", "bias"] : []) {
                    parameters["\(node.name).\(suffix)"] = slice(base, "\(node.name).\(suffix)", input)
                }
            case .flatten:
                let spatial = base.shapes[node.inputs[0]]!.dropFirst().reduce(1, *)
                output = input.flatMap { c in (c * spatial)..<((c + 1) * spatial) }
                if let gain { pending[node.name] = gain.flatMap { Array(repeating: $0, count: spatial) } }
            case .reshape:
                guard input.count == base.shapes[node.inputs[0]]![0] else { throw fail(node, "its input has pruned channels") }
                if let gain { pending[node.name] = gain }
            case .add, .mul:
                guard kept[node.inputs[1]]! == input else { throw fail(node, "its two inputs keep different channels (tie their masks)") }
            case .concat:
                var offset = 0
                output = node.inputs.flatMap { name in
                    defer { offset += base.shapes[name]![0] }
                    return kept[name]!.map { $0 + offset }
                }
            case .relu, .leakyRelu, .tanh, .gelu, .silu, .maxPool, .avgPool, .globalAvgPool, .sigmoid, .softmax:
                break
            }
            if gain != nil, !node.operation.isWeighted, !["flatten", "reshape"].contains(node.operation.kind) {
                throw fail(node, "a scaling gain must reach a conv2d or linear layer directly (or through flatten/reshape)")
            }
            if let s = sites.firstIndex(where: { $0.gate == node.name }), sites[s].scaled {
                pending[node.name] = output.map { masks.gates[s][$0] }
            }
            kept[node.name] = output
            nodes.append(Node(node.name, operation, inputs: node.inputs))
        }
        let network = try Network(inputShape: base.inputShape, nodes: nodes, parameters: parameters,
                                  classes: served.map { base.classes[$0] }).calibrated(on: calibration)
        return PrunedNetwork(subtask: subtask, network: network, outputClasses: served,
                             filters: filterCounts.map { (layer: $0.0, kept: $0.1, total: $0.2) },
                             macFraction: Double(network.macs) / Double(base.macs))
    }

    private func slice(_ network: Network, _ name: String, _ indices: [Int]) -> Tensor {
        let data = network.parameters[name]!.data
        return Tensor(shape: [indices.count], data: indices.map { data[$0] })
    }

    private func setInputGain(_ node: Node, input: [Int], gain: [Float]?, into parameters: inout [String: Tensor]) {
        let existing = base.parameters["\(node.name).input_gain"].map { t in input.map { t.data[$0] } }
        guard gain != nil || existing != nil else { return }
        let g = gain ?? Array(repeating: 1, count: input.count)
        let combined = zip(g, existing ?? Array(repeating: 1, count: input.count)).map { $0 * $1 }
        parameters["\(node.name).input_gain"] = Tensor(shape: [input.count], data: combined)
    }
}
