import ACIMCore
import ACIMNetwork

/// How a chip serves a subtask of a subtask-adaptive network.
public enum SubtaskMode: String, CaseIterable, Sendable {
    /// The base network stays programmed; a switch writes gates, gains and batch-norm registers only.
    case gate
    /// The physically pruned network is mapped compactly on fewer arrays; a switch reprograms them.
    case remap
}

/// A subtask served on the base network's mapping (gate-and-gain): the base network with the subtask's
/// batch-norm statistics, its gains (binary mask times scaling) applied in the digital units, and the
/// outputs switched off: the columns of pruned filters and, in the classifier, of classes outside the
/// subtask, whose ADC conversions are skipped.
public struct SubtaskGating: Sendable {
    public let subtask: Subtask
    /// The base network with batch norm re-estimated under the subtask's gates.
    public let network: Network
    /// Gains per gated node.
    public let gates: [String: [Float]]
    /// Per weighted layer with switched-off outputs: true for each output switched off.
    public let outputGates: [String: [Bool]]
}

extension SubtaskPruner {
    /// The gate-and-gain form of `subtask` on the base network.
    public func gating(_ subtask: Subtask) throws -> SubtaskGating {
        let san = subtaskNetwork
        let (network, gates) = try masked(subtask)
        let masks = try san.masks(for: subtask)
        var outputGates: [String: [Bool]] = [:]
        for (site, binary) in zip(san.sites, masks.binary) { outputGates[site.filters] = binary.map { $0 == 0 } }
        let served = san.classes(of: subtask)
        let classifier = network.nodes.last { $0.operation.isWeighted }!
        if case let .linear(out, _) = classifier.operation, out == network.classes.count {
            outputGates[classifier.name] = (0..<out).map { !served.contains($0) }
        }
        return SubtaskGating(subtask: subtask, network: network, gates: gates, outputGates: outputGates)
    }
}
