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

    /// The physical column at each slice-major position for `groups` weight groups: all groups' slice-0
    /// G+ columns, then their slice-0 G- columns (differential), and so on slice by slice, then the offset
    /// column. In this order one slice of every group is contiguous, so `accumulateSliceMajor` vectorizes.
    public func sliceMajorOrder(groups: Int, offsetColumn: Int?) -> [Int] {
        let width = layout.columnsPerWeight
        return (0..<width).flatMap { j in (0..<groups).map { g in g * width + j } } + (offsetColumn.map { [$0] } ?? [])
    }

    /// `accumulate` for decoded sums in slice-major order (`sliceMajorOrder`), with the same arithmetic in
    /// the same order per group, so both give bit-identical outputs. `scratch` holds `groups` values.
    @inlinable
    public func accumulateSliceMajor(_ decoded: UnsafePointer<Double>, weight: Double, groups: Int,
                                     driverRows: Int, zeroRows: Int, scratch: UnsafeMutablePointer<Double>,
                                     into output: UnsafeMutablePointer<Double>) {
        switch (layout.mode, encoding) {
        case (.xnor, _):
            let offset = Double(zeroRows) - Double(driverRows)
            for g in 0..<groups { output[g] += weight * (2 * decoded[g] + offset) }
        case (_, .differential):
            scratch.update(repeating: 0, count: groups)
            for k in 0..<sliceWeights.count {
                let slice = sliceWeights[k]
                let plus = decoded + 2 * k * groups
                let minus = plus + groups
                for g in 0..<groups { scratch[g] += slice * (plus[g] - minus[g]) }
            }
            for g in 0..<groups { output[g] += weight * scratch[g] }
        case (_, .offset):
            let offset = Double(1 << (weightBits - 1)) * decoded[layout.slices * groups]
            scratch.update(repeating: 0, count: groups)
            for k in 0..<sliceWeights.count {
                let slice = sliceWeights[k]
                let column = decoded + k * groups
                for g in 0..<groups { scratch[g] += slice * column[g] }
            }
            for g in 0..<groups { output[g] += weight * (scratch[g] - offset) }
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
