import ACIMCore

/// The digital recombination after the ADCs: slices by shift-and-add, differential or offset columns,
/// XNOR decoding with its compensation, and bit-serial phases.
///
/// Both engines call it in the same canonical order, so equal column codes give bit-identical outputs:
/// each pass accumulates its phases (and within a phase its slices) from zero, then `combine` adds the
/// passes in order.
public struct ShiftAdd: Sendable {
    public let layout: CrossbarLayout
    public let encoding: WeightEncoding
    public let weightBits: Int
    public let bitsPerCell: Int
    public let dacBits: Int
    /// `2^(k * bits_per_cell)` for every slice `k`.
    public let sliceWeights: [Double]

    public init(config: CrossbarConfig) {
        layout = CrossbarLayout(config: config)
        encoding = config.array.weightEncoding
        weightBits = config.array.weightBits
        bitsPerCell = config.array.bitsPerCell
        dacBits = config.periphery.dacBits
        let bitsPerCell = config.array.bitsPerCell
        sliceWeights = (0..<layout.slices).map { Double(1 << ($0 * bitsPerCell)) }
    }

    /// Weight of phase `phase` of a pass: `2^(phase * dac_bits)`.
    @inlinable
    public func phaseWeight(_ phase: Int) -> Double { Double(1 << (phase * dacBits)) }

    /// Adds `weight` times the value of every weight group for one phase to `output[group]`, from the
    /// decoded sums of the mapped columns (0 for columns not read). In XNOR mode `driverRows` is the number
    /// of rows the decoder assumes and `zeroRows` the number of zero-flagged rows, whose contribution the
    /// digital compensation restores.
    @inlinable
    public func accumulate(_ decoded: UnsafePointer<Double>, weight: Double, groups: Int, offsetColumn: Int?,
                           driverRows: Int, zeroRows: Int, into output: UnsafeMutablePointer<Double>) {
        let width = layout.columnsPerWeight
        switch (layout.mode, encoding) {
        case (.xnor, _):
            let offset = Double(zeroRows) - Double(driverRows)
            for g in 0..<groups {
                output[g] += weight * (2 * decoded[g * width] + offset)
            }
        case (_, .differential):
            sliceWeights.withUnsafeBufferPointer { sliceWeights in
                for g in 0..<groups {
                    let base = decoded + g * width
                    var value = 0.0
                    for k in 0..<sliceWeights.count {
                        value += sliceWeights[k] * (base[2 * k] - base[2 * k + 1])
                    }
                    output[g] += weight * value
                }
            }
        case (_, .offset):
            let offset = Double(1 << (weightBits - 1)) * decoded[offsetColumn ?? 0]
            sliceWeights.withUnsafeBufferPointer { sliceWeights in
                for g in 0..<groups {
                    let base = decoded + g * width
                    var value = 0.0
                    for k in 0..<sliceWeights.count {
                        value += sliceWeights[k] * base[k]
                    }
                    output[g] += weight * (value - offset)
                }
            }
        }
    }

    /// The sum of the per-pass accumulations `pass(0) + pass(1) + ...`, in pass order.
    @inlinable
    public static func combine(passes: Int, _ pass: (Int) -> Double) -> Double {
        var total = 0.0
        for p in 0..<passes { total += pass(p) }
        return total
    }
}
