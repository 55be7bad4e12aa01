import ACIMCore

/// The integer arithmetic the chip uses for conv2d and linear layers: inputs (after any input gain) and
/// weights quantized per layer with symmetric round-half-even quantizers (unsigned inputs when a layer's
/// calibration inputs are never negative), products accumulated exactly in integers, then rescaled.
/// Batch norm, pooling and activations stay in the digital periphery (floating point). Up to 12 bits each,
/// so every single product of codes is exact in Float32.
public struct IntegerQuantization: Sendable {
    public struct LayerScales: Sendable {
        public let input: Quantizer
        public let weight: Quantizer
    }

    public let weightBits: Int
    public let activationBits: Int
    /// Per conv2d/linear node.
    public let layers: [String: LayerScales]

    /// Calibrates each layer's input range on `calibration` (float pass) and each weight range on the weights.
    public init(_ network: Network, calibration: Dataset, weightBits: Int = 8, activationBits: Int = 8,
                gates: [String: [Float]] = [:]) throws {
        try require(weightBits, in: 2...12, "weight bits")
        try require(activationBits, in: 2...12, "activation bits")
        let pass = try network.forward(calibration.images, gates: gates)
        var layers: [String: LayerScales] = [:]
        for node in network.nodes where node.operation.isWeighted {
            let batch = calibration.count
            let x = network.gainedInput(node, pass.outputs[node.inputs[0]]!.data, batch: batch)
            let signed = x.contains { $0 < 0 }
            let inputRange = Double(x.reduce(0) { max($0, abs($1)) })
            let weightRange = Double(network.parameters["\(node.name).weight"]!.data.reduce(0) { max($0, abs($1)) })
            layers[node.name] = LayerScales(input: try Quantizer(bits: activationBits, signed: signed, maxAbs: inputRange),
                                            weight: try Quantizer(bits: weightBits, signed: true, maxAbs: weightRange))
        }
        self.weightBits = weightBits
        self.activationBits = activationBits
        self.layers = layers
    }

    /// Integer codes (as exact Float values) of `values` under `quantizer`.
    func codes(_ values: [Float], _ quantizer: Quantizer) -> [Float] {
        values.map { Float(quantizer.code(Double($0))) }
    }

    /// `x · Wᵀ` for row-major `x` `[m, k]` and `w` `[n, k]`, in integers: codes multiplied by sgemm over
    /// k-chunks small enough that every Float32 partial sum is exact, accumulated in Double, then rescaled.
    func product(_ node: String, x: [Float], w: [Float], m: Int, n: Int, k: Int) -> [Float] {
        let scales = layers[node]!
        let xq = codes(x, scales.input), wq = codes(w, scales.weight)
        let largest = Double(max(abs(scales.input.codeRange.lowerBound), scales.input.codeRange.upperBound))
            * Double(scales.weight.codeRange.upperBound)
        let chunk = max(1, min(k, Int((Double(1 << 24) / max(largest, 1)).rounded(.down))))
        var total = [Double](repeating: 0, count: m * n)
        for start in stride(from: 0, to: k, by: chunk) {
            let width = min(chunk, k - start)
            let a = (0..<m).flatMap { r in xq[(r * k + start)..<(r * k + start + width)] }
            let b = (0..<n).flatMap { r in wq[(r * k + start)..<(r * k + start + width)] }
            let partial = Kernels.gemm(a, b, m: m, n: n, k: width, transposeB: true)
            for i in total.indices { total[i] += Double(partial[i]) }
        }
        let scale = scales.input.scale * scales.weight.scale
        return total.map { Float($0 * scale) }
    }
}
