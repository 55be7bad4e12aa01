import ACIMCore
import Foundation

/// How batch normalization behaves in a forward pass.
public enum BatchNormMode: Sendable {
    /// Running statistics (inference).
    case running
    /// Statistics of the current batch (training and calibration); the pass records them.
    case batch
}

/// Everything one forward pass computed, kept for backpropagation.
public struct ForwardPass: Sendable {
    /// Output of every node (after its gate, if any), batch axis first.
    public internal(set) var outputs: [String: Tensor] = [:]
    /// Mean and (biased) variance per channel of every batch-norm node, when run in `.batch` mode.
    public internal(set) var batchStatistics: [String: (mean: [Float], variance: [Float])] = [:]
    var ungated: [String: [Float]] = [:]
    var columns: [String: [Float]] = [:]
    var normalized: [String: (xhat: [Float], invStd: [Float])] = [:]
    var argmax: [String: [Int32]] = [:]
    let gates: [String: [Float]]
    let mode: BatchNormMode
    let lastNode: String
    /// Whether the pass keeps what backpropagation needs (patches, normalized values, argmax, ungated
    /// outputs); an inference-only pass keeps only the outputs still to be read.
    let recordsBackprop: Bool

    /// The network output.
    public var output: Tensor { outputs[lastNode]! }
}

extension Network {
    /// Runs a batch `[N, inputShape...]` through the network, keeping every output and what
    /// backpropagation needs.
    ///
    /// `gates` multiplies the output channels of the named nodes (the subtask masks times the scaling masks).
    /// `integer` runs conv2d and linear layers in the chip's integer arithmetic instead of float.
    public func forward(_ input: Tensor, mode: BatchNormMode = .running, gates: [String: [Float]] = [:],
                        integer: IntegerQuantization? = nil) throws -> ForwardPass {
        if let integer {
            var backend = IntegerBackend(integer)
            return try run(input, mode: mode, gates: gates, backend: &backend, recordsBackprop: true)
        }
        var backend = FloatBackend()
        return try run(input, mode: mode, gates: gates, backend: &backend, recordsBackprop: true)
    }

    /// Runs a batch `[N, inputShape...]` for inference (running batch-norm statistics) with conv2d and
    /// linear layers computed by `backend`; returns the network output. No backpropagation state is kept,
    /// and each node's output is dropped once its last reader has run.
    public func infer<Backend: LayerBackend>(_ input: Tensor, gates: [String: [Float]] = [:],
                                             backend: inout Backend) throws -> Tensor {
        try run(input, mode: .running, gates: gates, backend: &backend, recordsBackprop: false).output
    }

    private func run<Backend: LayerBackend>(_ input: Tensor, mode: BatchNormMode, gates: [String: [Float]],
                                            backend: inout Backend, recordsBackprop: Bool) throws -> ForwardPass {
        guard input.shape.count == inputShape.count + 1, Array(input.shape.dropFirst()) == inputShape else {
            throw ACIMError.shapeMismatch("input batch \(input.shape): expected [N] + \(inputShape)")
        }
        for (name, gate) in gates {
            guard let shape = shapes[name], shape[0] == gate.count else {
                throw ACIMError.shapeMismatch("gate on \"\(name)\" has \(gate.count) channels: expected a node with that many")
            }
        }
        return try Kernels.singleThreaded {
            var pass = ForwardPass(gates: gates, mode: mode, lastNode: outputName, recordsBackprop: recordsBackprop)
            pass.outputs[Network.inputName] = input
            let batch = input.shape[0]
            let lastReader = recordsBackprop ? [:] : lastReaders
            for (index, node) in nodes.enumerated() {
                let x = pass.outputs[node.inputs[0]]!
                var y = try apply(node, x, batch: batch, pass: &pass, backend: &backend)
                if let gate = gates[node.name] {
                    if recordsBackprop { pass.ungated[node.name] = y }
                    y = Kernels.scaleChannels(y, gate, batch: batch, spatial: shapes[node.name]!.dropFirst().reduce(1, *))
                }
                pass.outputs[node.name] = Tensor(shape: [batch] + shapes[node.name]!, data: y)
                for name in node.inputs where lastReader[name] == index { pass.outputs[name] = nil }
            }
            return pass
        }
    }

    /// The index of the last node that reads each output.
    private var lastReaders: [String: Int] {
        var last: [String: Int] = [:]
        for (index, node) in nodes.enumerated() { for name in node.inputs { last[name] = index } }
        return last
    }

    func convGeometry(_ node: Node, batch: Int) -> ConvolutionGeometry {
        guard case let .conv2d(c) = node.operation else { preconditionFailure("not a convolution") }
        let input = shapes[node.inputs[0]]!, out = shapes[node.name]!
        return .init(batch: batch, channels: input[0], height: input[1], width: input[2],
                     kernelHeight: c.kernel[0], kernelWidth: c.kernel[1], strideY: c.stride[0], strideX: c.stride[1],
                     padTop: c.padding[0], padLeft: c.padding[1], dilationY: c.dilation[0], dilationX: c.dilation[1],
                     outHeight: out[1], outWidth: out[2])
    }

    /// The weight matrix a weighted node multiplies its input vectors by, row-major `[out, k]`: the stored
    /// weight, except for a grouped convolution, whose `[out, in / groups, kh, kw]` weights spread over the
    /// whole im2col patch `in x kh x kw` as a block-diagonal matrix (zero outside each output's group).
    public func unrolledWeight(_ node: Node) -> [Float] {
        let weight = parameters["\(node.name).weight"]!.data
        guard case let .conv2d(conv) = node.operation else { return weight }
        return Kernels.blockDiagonal(weight, n: conv.outChannels, k: shapes[node.inputs[0]]![0] * conv.kernel[0] * conv.kernel[1],
                                     groups: conv.groups)
    }

    /// The input of a conv/linear node after its optional input gain.
    func gainedInput(_ node: Node, _ x: [Float], batch: Int) -> [Float] {
        guard let gain = parameters["\(node.name).input_gain"]?.data else { return x }
        return Kernels.scaleChannels(x, gain, batch: batch, spatial: shapes[node.inputs[0]]!.dropFirst().reduce(1, *))
    }

    private func apply<Backend: LayerBackend>(_ node: Node, _ input: Tensor, batch: Int, pass: inout ForwardPass,
                                              backend: inout Backend) throws -> [Float] {
        let x = input.data
        let outShape = shapes[node.name]!
        let inShape = shapes[node.inputs[0]]!
        switch node.operation {
        case let .conv2d(conv):
            let out = conv.outChannels
            let g = convGeometry(node, batch: batch)
            let (gained, weight) = (gainedInput(node, x, batch: batch), parameters["\(node.name).weight"]!.data)
            let rows: [Float]
            if pass.recordsBackprop {
                // Backpropagation reads the patches again.
                let cols = Kernels.im2col(gained, g)
                pass.columns[node.name] = cols
                rows = try backend.convolutionProduct(node.name, x: cols, weight: weight, m: g.rows, n: out, k: g.patch,
                                                      groups: conv.groups, samples: batch)
            } else {
                rows = try backend.convolution(node.name, input: gained, geometry: g, weight: weight, n: out,
                                               groups: conv.groups)
            }
            return Kernels.permute(rows, batch: batch, spatial: g.outHeight * g.outWidth, channels: out,
                                   bias: parameters["\(node.name).bias"]?.data)
        case let .linear(out, _):
            let features = inShape[0]
            let gained = gainedInput(node, x, batch: batch), weight = parameters["\(node.name).weight"]!.data
            var y = try backend.product(node.name, x: gained, weight: weight, m: batch, n: out, k: features, samples: batch)
            if let bias = parameters["\(node.name).bias"]?.data {
                for n in 0..<batch { for c in 0..<out { y[n * out + c] += bias[c] } }
            }
            return y
        case let .batchNorm(epsilon, _):
            return batchNorm(node, x, batch: batch, epsilon: epsilon, pass: &pass)
        case .relu:
            return x.map { max($0, 0) }
        case let .leakyRelu(slope):
            return x.map { $0 > 0 ? $0 : slope * $0 }
        case .tanh:
            return x.map { Foundation.tanh($0) }
        case .gelu:
            return x.map { 0.5 * $0 * (1 + erf($0 * Float(0.5).squareRoot())) }
        case .silu:
            return x.map { $0 / (1 + exp(-$0)) }
        case .globalAvgPool:
            let spatial = inShape[1] * inShape[2]
            return (0..<(batch * inShape[0])).map { plane in x[(plane * spatial)..<((plane + 1) * spatial)].reduce(0, +) / Float(spatial) }
        case let .maxPool(k, stride), let .avgPool(k, stride):
            let isMax = if case .maxPool = node.operation { true } else { false }
            let (c, h, w, oh, ow) = (inShape[0], inShape[1], inShape[2], outShape[1], outShape[2])
            var y = [Float](repeating: 0, count: batch * c * oh * ow)
            var arg = [Int32](repeating: 0, count: isMax ? y.count : 0)
            var o = 0
            for plane in 0..<(batch * c) {
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        var best = -Float.infinity, bestIndex = 0, sum: Float = 0
                        for ky in 0..<k {
                            for kx in 0..<k {
                                let i = plane * h * w + (oy * stride + ky) * w + ox * stride + kx
                                sum += x[i]
                                if x[i] > best { best = x[i]; bestIndex = i }
                            }
                        }
                        if isMax { y[o] = best; arg[o] = Int32(bestIndex) } else { y[o] = sum / Float(k * k) }
                        o += 1
                    }
                }
            }
            if isMax && pass.recordsBackprop { pass.argmax[node.name] = arg }
            return y
        case .flatten, .reshape:
            return x
        case .add:
            let other = pass.outputs[node.inputs[1]]!.data
            return zip(x, other).map { $0 + $1 }
        case .mul:
            let other = pass.outputs[node.inputs[1]]!.data
            return zip(x, other).map { $0 * $1 }
        case .concat:
            let parts = node.inputs.map { pass.outputs[$0]!.data }
            let sizes = node.inputs.map { shapes[$0]!.reduce(1, *) }
            var y = [Float]()
            y.reserveCapacity(batch * outShape.reduce(1, *))
            for n in 0..<batch { for (part, size) in zip(parts, sizes) { y += part[(n * size)..<((n + 1) * size)] } }
            return y
        case .sigmoid:
            return x.map { 1 / (1 + exp(-$0)) }
        case .softmax:
            let f = inShape[0]
            var y = x
            for n in 0..<batch {
                let row = (n * f)..<((n + 1) * f)
                let top = x[row].max()!
                var total: Float = 0
                for i in row { y[i] = exp(x[i] - top); total += y[i] }
                for i in row { y[i] /= total }
            }
            return y
        }
    }

    private func batchNorm(_ node: Node, _ x: [Float], batch: Int, epsilon: Float, pass: inout ForwardPass) -> [Float] {
        let shape = shapes[node.name]!
        let channels = shape[0], spatial = shape.dropFirst().reduce(1, *)
        let gamma = parameters["\(node.name).weight"]?.data ?? [Float](repeating: 1, count: channels)
        let beta = parameters["\(node.name).bias"]?.data ?? [Float](repeating: 0, count: channels)
        var mean: [Float], variance: [Float]
        switch pass.mode {
        case .running:
            mean = parameters["\(node.name).running_mean"]!.data
            variance = parameters["\(node.name).running_var"]!.data
        case .batch:
            let m = Float(batch * spatial)
            mean = Kernels.channelSums(x, batch: batch, channels: channels, spatial: spatial).map { $0 / m }
            variance = [Float](repeating: 0, count: channels)
            for n in 0..<batch {
                for c in 0..<channels {
                    let base = (n * channels + c) * spatial
                    for i in 0..<spatial { let d = x[base + i] - mean[c]; variance[c] += d * d }
                }
            }
            variance = variance.map { $0 / m }
            pass.batchStatistics[node.name] = (mean, variance)
        }
        let invStd = variance.map { 1 / ($0 + epsilon).squareRoot() }
        // The normalized values are kept only for backpropagation.
        var xhat = [Float](repeating: 0, count: pass.recordsBackprop ? x.count : 0)
        var y = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { x in
            y.withUnsafeMutableBufferPointer { y in
                xhat.withUnsafeMutableBufferPointer { xhat in
                    for n in 0..<batch {
                        for c in 0..<channels {
                            let base = (n * channels + c) * spatial
                            let (m, s, g, b) = (mean[c], invStd[c], gamma[c], beta[c])
                            for i in base..<(base + spatial) {
                                let normalized = (x[i] - m) * s
                                if !xhat.isEmpty { xhat[i] = normalized }
                                y[i] = g * normalized + b
                            }
                        }
                    }
                }
            }
        }
        if pass.recordsBackprop { pass.normalized[node.name] = (xhat, invStd) }
        return y
    }
}
