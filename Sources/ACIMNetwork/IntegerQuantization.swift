import ACIMCore

/// The integer arithmetic the chip uses for conv2d and linear layers: inputs (after any input gain) and
/// weights quantized per layer with symmetric round-half-even quantizers, products accumulated exactly in
/// integers, then rescaled. Batch norm, pooling and activations stay in the digital periphery (floating
/// point). Up to 12 bits each, so every single product of codes is exact in Float32.
public struct IntegerQuantization: Sendable {
    public struct LayerScales: Sendable {
        public let input: Quantizer
        public let weight: Quantizer
    }

    /// Whether a layer's input codes are signed.
    public enum InputSigns: Sendable {
        /// Unsigned codes when the layer's calibration inputs are never negative, else signed.
        case calibrated
        /// Unsigned codes; a layer whose calibration inputs go negative is an error (a chip whose DACs
        /// drive one polarity).
        case unsigned
        /// Signed codes for every layer (a chip that applies signed inputs in two passes or with an offset).
        case signed
    }

    public let weightBits: Int
    public let activationBits: Int
    /// Per conv2d/linear node.
    public let layers: [String: LayerScales]
    /// Per conv2d/linear node, the codes of its unrolled weight matrix (`Network.unrolledWeight`, row-major
    /// `n x k`).
    public let weightCodes: [String: [Int32]]

    /// Calibrates each layer's input range on `calibration` (float pass under `gates`) and each weight
    /// range on the weights.
    public init(_ network: Network, calibration: Dataset, weightBits: Int = 8, activationBits: Int = 8,
                gates: [String: [Float]] = [:], inputSigns: InputSigns = .calibrated) throws {
        try require(weightBits, in: 2...12, "weight bits")
        try require(activationBits, in: 2...12, "activation bits")
        let batch = calibration.images.shape[0]
        guard batch > 0 else { throw ACIMError.shapeMismatch("the calibration set is empty") }
        let pass = try network.forward(calibration.images, gates: gates)
        var layers: [String: LayerScales] = [:]
        var weightCodes: [String: [Int32]] = [:]
        for node in network.nodes where node.operation.isWeighted {
            let x = network.gainedInput(node, pass.outputs[node.inputs[0]]!.data, batch: batch)
            let lowest = x.min() ?? 0
            let signed: Bool
            switch inputSigns {
            case .calibrated: signed = lowest < 0
            case .signed: signed = true
            case .unsigned:
                guard lowest >= 0 else {
                    throw ACIMError.inconsistentParameters(
                        "layer \(node.name) gets negative inputs (down to \(lowest)): unsigned input codes need non-negative inputs (apply signed inputs in two passes or with an offset)")
                }
                signed = false
            }
            let inputRange = Double(x.reduce(0) { max($0, abs($1)) })
            let weights = network.unrolledWeight(node)
            let weightRange = Double(weights.reduce(0) { max($0, abs($1)) })
            let scales = LayerScales(input: try Quantizer(bits: activationBits, signed: signed, maxAbs: inputRange),
                                     weight: try Quantizer(bits: weightBits, signed: true, maxAbs: weightRange))
            layers[node.name] = scales
            weightCodes[node.name] = weights.map { Int32(scales.weight.code(Double($0))) }
        }
        self.weightBits = weightBits
        self.activationBits = activationBits
        self.layers = layers
        self.weightCodes = weightCodes
    }

    /// The input codes of layer `layer` for `values`; throws when the layer has no scales.
    public func inputCodes(_ layer: String, _ values: [Float]) throws -> [Int32] {
        guard let scales = layers[layer] else {
            throw ACIMError.inconsistentParameters("the integer quantization has no scales for layer \(layer)")
        }
        return scales.input.codes(values)
    }

    /// Sums of code products of layer `layer` in real units: each sum times the input and weight scales.
    public func rescale(_ layer: String, _ sums: [Double]) -> [Float] {
        let scales = layers[layer]!
        let scale = scales.input.scale * scales.weight.scale
        return sums.map { Float($0 * scale) }
    }

    /// `codes · Wᵀ` of layer `layer` for `m` input code vectors, exactly: sgemm over k-chunks small enough
    /// that every Float32 partial sum is an exact integer, accumulated in Double.
    public func exactProduct(_ layer: String, codes: [Int32], m: Int) -> [Double] {
        let scales = layers[layer]!, w = weightCodes[layer]!
        let k = m > 0 ? codes.count / m : 0, n = k > 0 ? w.count / k : 0
        var total = [Double](repeating: 0, count: m * n)
        guard k > 0 else { return total }
        let largest = Double(max(abs(scales.input.codeRange.lowerBound), scales.input.codeRange.upperBound))
            * Double(scales.weight.codeRange.upperBound)
        let chunk = max(1, min(k, Int((Double(1 << 24) / max(largest, 1)).rounded(.down))))
        for start in stride(from: 0, to: k, by: chunk) {
            let width = min(chunk, k - start)
            let a = Self.columns(codes, rows: m, k: k, start: start, width: width)
            let b = Self.columns(w, rows: n, k: k, start: start, width: width)
            let partial = Kernels.gemm(a, b, m: m, n: n, k: width, transposeB: true)
            for i in total.indices { total[i] += Double(partial[i]) }
        }
        return total
    }

    /// Columns `start..<start + width` of the row-major `rows x k` codes, as Float.
    private static func columns(_ codes: [Int32], rows: Int, k: Int, start: Int, width: Int) -> [Float] {
        var out = [Float]()
        out.reserveCapacity(rows * width)
        for r in 0..<rows {
            for i in (r * k + start)..<(r * k + start + width) { out.append(Float(codes[i])) }
        }
        return out
    }
}
