import ACIMCore

/// A real-valued MVM run on a crossbar: weights and inputs quantized to the array's codes, the bit-serial
/// MVM, the outputs rescaled, and the error measured against the ideal float product.
public struct QuantizedMVM: Sendable {
    /// `vectors x outputs` outputs of the array, rescaled to real values.
    public var outputs: Matrix<Double>
    /// The float product of the unquantized inputs and weights.
    public var ideal: Matrix<Double>
    /// Root-mean-square error against `ideal`, divided by the root mean square of `ideal`.
    public var relativeRMSError: Double
    public var maxAbsError: Double
    /// Fraction of outputs equal to the exact integer product of the codes (what quantization alone gives).
    public var exactFraction: Double
    public var cost: MVMCost
    public var mapping: WeightMapping

    /// Quantizes `weights` (`rows x outputs`) and `inputs` (`vectors x rows`) symmetrically by their largest
    /// magnitude, programs the crossbar `array` of `config` at time 0 and `temperature` kelvin, and runs the
    /// batch on `engine` `time` seconds later (the ADC range, when calibrated, is set right after
    /// programming). The input vectors are reads 0 to `vectors - 1`.
    public static func run(weights: Matrix<Float>, inputs: Matrix<Float>, config: CrossbarConfig,
                           engine: any MVMEngine, array: ArrayID, temperature: Double, seed: UInt64,
                           time: Double = 0) throws -> QuantizedMVM {
        guard weights.rows == inputs.columns else {
            throw ACIMError.shapeMismatch("weights have \(weights.rows) rows but input vectors have \(inputs.columns) elements")
        }
        var crossbar = try Crossbar(config: config, id: array, temperature: temperature)
        let layout = crossbar.layout
        let weightRange = WeightMapping.codeRange(config: config, layout: layout)
        let weightQuantizer = try Quantizer(bits: layout.mode == .xnor ? 2 : config.array.weightBits, signed: true,
                                            maxAbs: Double(weights.storage.map(abs).max() ?? 0))
        let weightCodes = weights.map { w -> Int32 in
            let code = weightQuantizer.code(Double(w))
            return Int32(layout.mode == .xnor ? (w >= 0 ? 1 : -1) : min(max(code, weightRange.lowerBound), weightRange.upperBound))
        }
        let signedInputs = layout.mode == .xnor || config.periphery.inputEncoding != .unsigned
        if !signedInputs, let negative = inputs.storage.firstIndex(where: { $0 < 0 }) {
            throw ACIMError.invalidParameter(
                name: "input[\(negative / inputs.columns)][\(negative % inputs.columns)]", value: "\(inputs.storage[negative])",
                expected: "a non-negative value with input_encoding unsigned (use two_pass or offset for signed inputs)")
        }
        let inputQuantizer = try Quantizer(bits: layout.mode == .xnor ? 2 : config.periphery.inputBits, signed: signedInputs,
                                           maxAbs: Double(inputs.storage.map(abs).max() ?? 0))
        let inputCodes = inputs.map { Int32(inputQuantizer.code(Double($0))) }
        try crossbar.program(weights: weightCodes, seed: seed)
        if config.periphery.adc.range == .calibrated {
            try crossbar.calibrateADC(inputs: inputCodes, percentile: config.periphery.adc.percentile)
        }
        crossbar.setTime(time)
        let result = try engine.run(crossbar, inputs: inputCodes, context: ReadContext(seed: seed, firstVector: 0))
        let scale = (layout.mode == .xnor ? 1 : weightQuantizer.scale) * (layout.mode == .xnor ? 1 : inputQuantizer.scale)
        let outputs = result.outputs.map { $0 * scale }
        let ideal = Matrix<Double>(rows: inputs.rows, columns: weights.columns) { b, j in
            var sum = 0.0
            for r in 0..<weights.rows { sum += Double(inputs[b, r]) * Double(weights[r, j]) }
            return sum
        }
        var squaredError = 0.0, squaredIdeal = 0.0, maxError = 0.0, exact = 0
        for b in 0..<inputs.rows {
            for j in 0..<weights.columns {
                let error = outputs[b, j] - ideal[b, j]
                squaredError += error * error
                squaredIdeal += ideal[b, j] * ideal[b, j]
                maxError = max(maxError, abs(error))
                var integer: Int64 = 0
                for r in 0..<weights.rows { integer += Int64(inputCodes[b, r]) * Int64(weightCodes[r, j]) }
                if Double(integer) == result.outputs[b, j] { exact += 1 }
            }
        }
        return QuantizedMVM(
            outputs: outputs, ideal: ideal,
            relativeRMSError: squaredIdeal > 0 ? (squaredError / squaredIdeal).squareRoot() : squaredError.squareRoot(),
            maxAbsError: maxError, exactFraction: Double(exact) / Double(max(1, outputs.storage.count)),
            cost: result.cost, mapping: try crossbar.programmedState().0)
    }
}
