import ACIMCore

extension Network {
    /// This network with every batch norm's running statistics re-estimated on `calibration`: one pass in
    /// batch mode over the whole set (a cumulative average, without gradients), under `gates`.
    public func calibrated(on calibration: Dataset, gates: [String: [Float]] = [:]) throws -> Network {
        let pass = try forward(calibration.images, mode: .batch, gates: gates)
        var network = self
        for (name, stats) in pass.batchStatistics {
            network.parameters["\(name).running_mean"]!.data = stats.mean
            network.parameters["\(name).running_var"]!.data = stats.variance
        }
        return network
    }

    /// Fraction of `data` whose label is the highest-scoring of `outputClasses` (indices into the outputs);
    /// `labelOf` maps an output index to the data set's label.
    /// `integer` evaluates in the chip's integer arithmetic.
    public func accuracy(on data: Dataset, gates: [String: [Float]] = [:], outputClasses: [Int]? = nil,
                         integer: IntegerQuantization? = nil, labelOf: (Int) -> Int = { $0 }) throws -> Double {
        guard data.count > 0 else { return 0 }
        let scores = try outputs(data.images, gates: gates, integer: integer).data
        let width = classes.count
        let candidates = outputClasses ?? Array(0..<width)
        var correct = 0
        for n in 0..<data.count {
            let best = candidates.max { scores[n * width + $0] < scores[n * width + $1] }!
            if labelOf(best) == data.labels[n] { correct += 1 }
        }
        return Double(correct) / Double(data.count)
    }

    /// The network's outputs `[N, classes]` on `images` (batch axis first), its memory checked first.
    public func outputs(_ images: Tensor, gates: [String: [Float]] = [:], integer: IntegerQuantization? = nil) throws -> Tensor {
        try MemoryBudget.require(forwardBytes(batch: images.shape[0]), for: "a forward pass over \(images.shape[0]) inputs")
        return try forward(images, gates: gates, integer: integer).output
    }

    /// Bytes a forward pass over `batch` inputs allocates at most: 4 per value of the input, of every node's
    /// output, and of every weighted layer's unrolled inputs (a convolution's im2col patches over all its input
    /// channels, whatever its groups; a linear layer's input features).
    public func forwardBytes(batch: Int) -> Double {
        let perSample = nodes.reduce(Double(inputShape.reduce(1, *))) { total, node in
            let shape = shapes[node.name]!, input = shapes[node.inputs[0]]!
            let unrolled = switch node.operation {
            case let .conv2d(conv): shape[1] * shape[2] * input[0] * conv.kernel[0] * conv.kernel[1]
            case .linear: input[0]
            default: 0
            }
            return total + Double(shape.reduce(1, *) + unrolled)
        }
        return 4 * Double(batch) * perSample
    }
}
