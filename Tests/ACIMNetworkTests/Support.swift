import ACIMCore
import Foundation
@testable import ACIMNetwork

/// Seeded random tensors for tests.
func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    let rng = RandomStream(seed: seed, purpose: .userInput)
    return Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { Float(rng.gaussian(at: UInt64($0))) * scale })
}

/// A network from nodes, with every parameter it needs filled with seeded random values (positive variances).
func randomNetwork(inputShape: [Int], nodes: [Node], classes: Int, seed: UInt64, inputGains: Bool = false) throws -> Network {
    // Infer shapes by building with placeholder parameters layer by layer.
    var parameters: [String: Tensor] = [:]
    var shapes: [String: [Int]] = [Network.inputName: inputShape]
    var counter = seed
    func fill(_ name: String, _ shape: [Int], positive: Bool = false) {
        counter += 1
        var t = randomTensor(shape, seed: counter, scale: 0.5)
        if positive { t.data = t.data.map { 0.5 + abs($0) } }
        parameters[name] = t
    }
    for (i, node) in nodes.enumerated() {
        let input = shapes[node.inputs[0]]!
        switch node.operation {
        case let .conv2d(conv):
            fill("\(node.name).weight", [conv.outChannels, input[0] / conv.groups] + conv.kernel)
            if conv.bias { fill("\(node.name).bias", [conv.outChannels]) }
            if inputGains { fill("\(node.name).input_gain", [input[0]]) }
        case let .linear(out, bias):
            fill("\(node.name).weight", [out, input[0]])
            if bias { fill("\(node.name).bias", [out]) }
            if inputGains { fill("\(node.name).input_gain", [input[0]]) }
        case let .batchNorm(_, affine):
            if affine { fill("\(node.name).weight", [input[0]], positive: true); fill("\(node.name).bias", [input[0]]) }
            fill("\(node.name).running_mean", [input[0]]); fill("\(node.name).running_var", [input[0]], positive: true)
        default: break
        }
        let partial = try Network(inputShape: inputShape, nodes: Array(nodes[0...i]),
                                  parameters: parameters, classes: [], checkOutput: false)
        shapes = partial.shapes
    }
    return try Network(inputShape: inputShape, nodes: nodes, parameters: parameters, classes: (0..<classes).map(String.init))
}

/// The bundled digits data set as the digits models read it (pixels scaled to [0, 1]).
func digits() throws -> Dataset {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let raw = try Digits.load(path: root.appendingPathComponent("Data/digits/digits.csv").path)
    return Dataset(images: Digits.preprocessing.apply(to: raw.images), labels: raw.labels)
}
