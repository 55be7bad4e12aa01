import ACIMNetwork

/// The work of one inference outside the crossbars, node by node: element operations of the tiles'
/// digital units and bytes moved through tile memory. It follows from the network's shapes alone (no
/// operation depends on the data), so it is counted from them.
///
/// Conventions: a weighted layer reads its input vectors from tile memory as DAC codes (`codeBytes`
/// each), and its digital unit quantizes each input element once (and applies an input gain where the
/// layer has one), adds the partial sums of its row splits, rescales every output and adds the bias,
/// writing 4-byte results. Batch norm is two operations per element (scale and shift), an activation, an
/// add, a product and a subtask gate one, pooling one per window element, the output head one per element;
/// each of these reads and writes its tensors at 4 bytes per element. A concat copies its inputs (no
/// operations). Flatten and reshape only re-address.
public struct DigitalWork: Sendable, Equatable {
    public var operations = 0
    public var bytesRead = 0
    public var bytesWritten = 0

    public init() {}

    public static func += (lhs: inout DigitalWork, rhs: DigitalWork) {
        lhs.operations += rhs.operations
        lhs.bytesRead += rhs.bytesRead
        lhs.bytesWritten += rhs.bytesWritten
    }

    /// The work of node `node` of `network` for one inference, with `rowSplits` arrays adding partial sums
    /// (weighted layers), `codeBytes` per input code and a subtask gate on its output when `gated`.
    public static func of(_ node: Node, in network: Network, rowSplits: Int, codeBytes: Int, gated: Bool) -> DigitalWork {
        let output = network.shapes[node.name]!.reduce(1, *)
        let input = network.shapes[node.inputs[0]]!.reduce(1, *)
        var work = DigitalWork()
        switch node.operation {
        case let .conv2d(conv):
            let vectors = output / conv.outChannels, patch = network.shapes[node.inputs[0]]![0] * conv.kernel[0] * conv.kernel[1]
            let gain = network.parameters["\(node.name).input_gain"] == nil ? 0 : input
            work.operations = input + gain + output * (rowSplits - 1) + output * (conv.bias ? 2 : 1)
            work.bytesRead = vectors * patch * codeBytes
            work.bytesWritten = 4 * output
        case let .linear(_, bias):
            let gain = network.parameters["\(node.name).input_gain"] == nil ? 0 : input
            work.operations = input + gain + output * (rowSplits - 1) + output * (bias ? 2 : 1)
            work.bytesRead = input * codeBytes
            work.bytesWritten = 4 * output
        case .batchNorm:
            work.operations = 2 * output
        case .relu, .leakyRelu, .tanh, .gelu, .silu, .sigmoid, .softmax:
            work.operations = output
        case let .maxPool(k, _), let .avgPool(k, _):
            work.operations = output * k * k
        case .globalAvgPool:
            work.operations = input
        case .add, .mul:
            work.operations = output
            work.bytesRead = 4 * input
        case .concat:
            work.bytesRead = 4 * (output - input)
        case .flatten, .reshape:
            return work
        }
        if !node.operation.isWeighted {
            work.bytesRead += 4 * input
            work.bytesWritten = 4 * output
        }
        if gated { work.operations += output }
        return work
    }
}
