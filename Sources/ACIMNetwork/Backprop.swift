import ACIMCore
import Foundation

/// Gradients of a scalar loss with respect to the parameters and the gates of one forward pass.
public struct Gradients: Sendable {
    /// Per parameter tensor name (input gains are fixed and get none).
    public var parameters: [String: [Float]] = [:]
    /// Per gated node: the gradient with respect to each channel's gate.
    public var gates: [String: [Float]] = [:]
    /// With respect to the network input.
    public var input: [Float] = []
}

extension Network {
    /// Backpropagates the loss gradients `seeds` (per node output, batch axis first) through `pass`.
    ///
    /// Batch norm is differentiated in the mode the pass ran in (batch statistics or running ones).
    public func backward(_ pass: ForwardPass, seeds: [String: [Float]]) -> Gradients {
        Kernels.singleThreaded { backpropagate(pass, seeds: seeds) }
    }

    private func backpropagate(_ pass: ForwardPass, seeds: [String: [Float]]) -> Gradients {
        var grads = Gradients()
        var flow = seeds
        let batch = pass.outputs[Network.inputName]!.shape[0]
        func accumulate(_ name: String, _ g: [Float]) {
            if let existing = flow[name] { flow[name] = zip(existing, g).map { $0 + $1 } } else { flow[name] = g }
        }
        for node in nodes.reversed() {
            guard var dy = flow[node.name] else { continue }
            let spatialOut = shapes[node.name]!.dropFirst().reduce(1, *)
            if let gate = pass.gates[node.name], let ungated = pass.ungated[node.name] {
                grads.gates[node.name] = Kernels.channelSums(dy, times: ungated, batch: batch, channels: gate.count, spatial: spatialOut)
                dy = Kernels.scaleChannels(dy, gate, batch: batch, spatial: spatialOut)
            }
            for (name, dx) in zip(node.inputs, inputGradients(node, dy, pass: pass, batch: batch, into: &grads)) {
                accumulate(name, dx)
            }
        }
        grads.input = flow[Network.inputName] ?? []
        return grads
    }

    /// The gradient with respect to each input of `node`.
    private func inputGradients(_ node: Node, _ dy: [Float], pass: ForwardPass, batch: Int, into grads: inout Gradients) -> [[Float]] {
        let inputs = node.inputs.map { pass.outputs[$0]!.data }
        switch node.operation {
        case .add:
            return [dy, dy]
        case .mul:
            return [zip(dy, inputs[1]).map { $0 * $1 }, zip(dy, inputs[0]).map { $0 * $1 }]
        case .concat:
            let sizes = node.inputs.map { shapes[$0]!.reduce(1, *) }, total = sizes.reduce(0, +)
            var offset = 0
            return sizes.map { size in
                defer { offset += size }
                return (0..<batch).flatMap { n in dy[(n * total + offset)..<(n * total + offset + size)] }
            }
        default:
            return [inputGradient(node, dy, pass: pass, batch: batch, into: &grads)]
        }
    }

    /// The input gradient of a one-input node.
    private func inputGradient(_ node: Node, _ dy: [Float], pass: ForwardPass, batch: Int, into grads: inout Gradients) -> [Float] {
        let x = pass.outputs[node.inputs[0]]!.data
        let inShape = shapes[node.inputs[0]]!, outShape = shapes[node.name]!
        let y = pass.outputs[node.name]!.data
        switch node.operation {
        case let .conv2d(conv):
            let (out, g) = (conv.outChannels, convGeometry(node, batch: batch))
            let rows = Kernels.permute(dy, batch: batch, spatial: g.outHeight * g.outWidth, channels: out, inverse: true)
            grads.parameters["\(node.name).weight"] = Kernels.groupedWeightGradient(rows, pass.columns[node.name]!, m: g.rows, n: out,
                                                                                    k: g.patch, groups: conv.groups)
            if conv.bias {
                var db = [Float](repeating: 0, count: out)
                for r in 0..<g.rows { for c in 0..<out { db[c] += rows[r * out + c] } }
                grads.parameters["\(node.name).bias"] = db
            }
            let dcols = Kernels.groupedPatchGradient(rows, parameters["\(node.name).weight"]!.data, m: g.rows, n: out, k: g.patch,
                                                     groups: conv.groups)
            return gainedInput(node, Kernels.col2im(dcols, g), batch: batch)
        case let .linear(out, bias):
            let features = inShape[0]
            grads.parameters["\(node.name).weight"] = Kernels.gemm(dy, gainedInput(node, x, batch: batch), m: out, n: features, k: batch, transposeA: true)
            if bias {
                var db = [Float](repeating: 0, count: out)
                for n in 0..<batch { for c in 0..<out { db[c] += dy[n * out + c] } }
                grads.parameters["\(node.name).bias"] = db
            }
            return gainedInput(node, Kernels.gemm(dy, parameters["\(node.name).weight"]!.data, m: batch, n: features, k: out), batch: batch)
        case let .batchNorm(_, affine):
            let channels = outShape[0], spatial = outShape.dropFirst().reduce(1, *)
            let (xhat, invStd) = pass.normalized[node.name]!
            let gamma = parameters["\(node.name).weight"]?.data ?? [Float](repeating: 1, count: channels)
            let sumDyXhat = Kernels.channelSums(dy, times: xhat, batch: batch, channels: channels, spatial: spatial)
            let sumDy = Kernels.channelSums(dy, batch: batch, channels: channels, spatial: spatial)
            if affine { (grads.parameters["\(node.name).weight"], grads.parameters["\(node.name).bias"]) = (sumDyXhat, sumDy) }
            guard pass.mode == .batch else {
                return Kernels.scaleChannels(dy, zip(gamma, invStd).map { $0 * $1 }, batch: batch, spatial: spatial)
            }
            let m = Float(batch * spatial)
            var dx = dy
            for n in 0..<batch {
                for c in 0..<channels {
                    let base = (n * channels + c) * spatial, k = gamma[c] * invStd[c] / m
                    for i in 0..<spatial {
                        dx[base + i] = k * (m * dy[base + i] - sumDy[c] - xhat[base + i] * sumDyXhat[c])
                    }
                }
            }
            return dx
        case .relu:
            return zip(dy, x).map { $1 > 0 ? $0 : 0 }
        case let .leakyRelu(slope):
            return zip(dy, x).map { $1 > 0 ? $0 : slope * $0 }
        case .tanh:
            return zip(dy, y).map { $0 * (1 - $1 * $1) }
        case .gelu:
            // d/dx x·Φ(x) = Φ(x) + x·φ(x).
            return zip(dy, x).map { g, v in
                g * (0.5 * (1 + erf(v * Float(0.5).squareRoot())) + v * exp(-0.5 * v * v) / Float(2 * Float.pi).squareRoot())
            }
        case .silu:
            return zip(dy, x).map { g, v in
                let s = 1 / (1 + exp(-v))
                return g * s * (1 + v * (1 - s))
            }
        case .globalAvgPool:
            let spatial = inShape[1] * inShape[2]
            return (0..<x.count).map { dy[$0 / spatial] / Float(spatial) }
        case .maxPool:
            var dx = [Float](repeating: 0, count: x.count)
            for (o, i) in pass.argmax[node.name]!.enumerated() { dx[Int(i)] += dy[o] }
            return dx
        case let .avgPool(k, stride):
            let (c, h, w, oh, ow) = (inShape[0], inShape[1], inShape[2], outShape[1], outShape[2])
            var dx = [Float](repeating: 0, count: x.count)
            var o = 0
            let share = 1 / Float(k * k)
            for plane in 0..<(batch * c) {
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        for ky in 0..<k { for kx in 0..<k { dx[plane * h * w + (oy * stride + ky) * w + ox * stride + kx] += dy[o] * share } }
                        o += 1
                    }
                }
            }
            return dx
        case .flatten, .reshape:
            return dy
        case .add, .mul, .concat:
            preconditionFailure("\(node.operation.kind) takes several inputs: inputGradients differentiates it")
        case .sigmoid:
            return zip(dy, y).map { $0 * $1 * (1 - $1) }
        case .softmax:
            let f = inShape[0]
            var dx = dy
            for n in 0..<batch {
                let row = (n * f)..<((n + 1) * f)
                var dot: Float = 0
                for i in row { dot += dy[i] * y[i] }
                for i in row { dx[i] = y[i] * (dy[i] - dot) }
            }
            return dx
        }
    }
}
