import ACIMCore
import CKernels

/// The digital recombination after the ADCs: slices by shift-and-add, differential or offset columns,
/// XNOR decoding with its compensation, and bit-serial phases.
///
/// Both engines call it in the same canonical order, so equal column codes give bit-identical outputs:
/// each pass accumulates its phases (and within a phase its slices) from zero, then the passes are added
/// in order (`OutputCorrection`). Where every column of a phase is converted at one full scale, the phase adds its codes
/// (`readout`): shifted and summed as integers, then scaled once, as the digital periphery works; where
/// columns have scales of their own, it adds their decoded sums (`accumulate`).
public struct ShiftAdd: Sendable {
    public let layout: CrossbarLayout
    public let encoding: WeightEncoding
    public let weightBits: Int
    public let bitsPerCell: Int
    /// Bits of one phase's digit (`CrossbarLayout.digitBits`).
    public let digitBits: Int
    /// `2^(k * bits_per_cell)` for every slice `k`.
    public let sliceWeights: [Double]
    /// The largest magnitude of a group's combined code per unit of code magnitude: the slice weights summed,
    /// twice for G+ less G-, plus the offset column's weight.
    let largestCombinedCode: Int

    public init(config: CrossbarConfig) {
        layout = CrossbarLayout(config: config)
        encoding = config.array.weightEncoding
        weightBits = config.array.weightBits
        bitsPerCell = config.array.bitsPerCell
        digitBits = layout.digitBits
        let bitsPerCell = config.array.bitsPerCell
        sliceWeights = (0..<layout.slices).map { Double(1 << ($0 * bitsPerCell)) }
        let slices = (0..<layout.slices).reduce(0) { $0 + (1 << ($1 * bitsPerCell)) }
        largestCombinedCode = (encoding == .differential ? 2 : 1) * slices
            + (encoding == .offset ? 1 << (weightBits - 1) : 0)
    }

    /// Weight of phase `phase` of a pass: `2^(phase * digit bits)`.
    @inlinable
    public func phaseWeight(_ phase: Int) -> Double { Double(1 << (phase * digitBits)) }

    /// Adds `weight` times the value of every weight group for one phase to `output[group]`, from the
    /// decoded sums of the mapped columns (0 for columns not read) in `order`. In XNOR mode `driverRows` is
    /// the number of rows the decoder assumes and `zeroRows` the number of zero-flagged rows, whose
    /// contribution the digital compensation restores.
    public func accumulate(_ decoded: UnsafePointer<Double>, order: ColumnOrder = .physical, weight: Double,
                           groups: Int, offsetColumn: Int?, driverRows: Int, zeroRows: Int,
                           into output: UnsafeMutablePointer<Double>) {
        let (groupStride, slotStride) = strides(order, groups: groups)
        switch (layout.mode, encoding) {
        case (.xnor, _):
            acim_shift_add_xnor(decoded, Int64(groups), Int64(groupStride), Double(zeroRows) - Double(driverRows),
                                weight, output)
        case (_, .differential):
            acim_shift_add_differential(decoded, Int64(groups), Int64(groupStride), Int64(slotStride), sliceWeights,
                                        Int64(sliceWeights.count), weight, output)
        case (_, .offset):
            // The offset column follows the weight groups in either order.
            let offset = Double(1 << (weightBits - 1)) * decoded[offsetColumn ?? 0]
            acim_shift_add_offset(decoded, Int64(groups), Int64(groupStride), Int64(slotStride), sliceWeights,
                                  Int64(sliceWeights.count), offset, weight, output)
        }
    }

    /// Adds, for every weight group, its slice codes (codes of the mapped columns in array order, 0 for
    /// columns not read) shifted by `k * bits_per_cell` and summed as an integer, G+ less G- or less the
    /// offset column's code times `2^(weight_bits - 1)`, times `step` and then `weight`: the plain definition
    /// of what `readout` adds for a differential or offset-encoded row whose step is not finer than one unit.
    public func accumulate(codes: [Int], step: Double, weight: Double, groups: Int, offsetColumn: Int?,
                           into output: UnsafeMutablePointer<Double>) {
        let width = layout.columnsPerWeight
        let offset = offsetColumn.map { codes[$0] << (weightBits - 1) } ?? 0
        for g in 0..<groups {
            var combined = 0
            for k in 0..<layout.slices {
                let slice = encoding == .differential ? codes[g * width + 2 * k] - codes[g * width + 2 * k + 1]
                    : codes[g * width + k]
                combined += slice << (k * bitsPerCell)
            }
            output[g] += weight * step * Double(combined - offset)
        }
    }

    /// One row of raw column sums for `readout`: converted with its ADC scale, added with its weight.
    public typealias ReadoutRow = acim_adc_row

    /// Whether the combined code of a weight group (its slices' codes shifted and summed, less the offset
    /// column's) fits 32 bits for codes of magnitude at most `maxCode`.
    func combinedCodesFit32Bits(maxCode: Int) -> Bool { largestCombinedCode * maxCode < 1 << 31 }

    /// `accumulate` from rows of raw column sums, each converted as it is read with its own ADC scale, row
    /// after row, in one pass over the outputs. A row whose step is finer than one unit product decodes every
    /// column to whole unit products (`ADC.convert`, 0 where `read` is 0) and accumulates them. Any other row
    /// adds its codes as the digital periphery does: each weight group's slice codes shifted and added (less
    /// the offset column's code, shifted), an exact integer, then scaled once by the row's step and weight.
    public func readout(_ rows: UnsafeBufferPointer<ReadoutRow>, read: UnsafePointer<Float>?, adc: ADC,
                        order: ColumnOrder, groups: Int, offsetColumn: Int?, driverRows: Int, zeroRows: Int,
                        into output: UnsafeMutablePointer<Double>) {
        let (groupStride, slotStride) = strides(order, groups: groups)
        guard let first = rows.baseAddress, !rows.isEmpty else { return }
        let count = Int64(rows.count)
        let narrow: Int32 = combinedCodesFit32Bits(maxCode: Int(adc.topCode)) ? 1 : 0
        switch (layout.mode, encoding) {
        case (.xnor, _):
            acim_readout_xnor(first, count, read, adc.topCode, adc.bottomCode, Int64(groups), Int64(groupStride),
                              Double(zeroRows) - Double(driverRows), output)
        case (_, .differential):
            acim_readout_differential(first, count, read, adc.topCode, adc.bottomCode, narrow, Int64(groups),
                                      Int64(groupStride), Int64(slotStride), Int32(bitsPerCell),
                                      Int64(sliceWeights.count), output)
        case (_, .offset):
            acim_readout_offset(first, count, read, adc.topCode, adc.bottomCode, narrow, Int64(groups),
                                Int64(groupStride), Int64(slotStride), Int32(bitsPerCell), Int64(sliceWeights.count),
                                Int64(offsetColumn ?? 0), Double(1 << (weightBits - 1)), output)
        }
    }

    /// Where group `g`'s slot `j` sits: `g * groupStride + j * slotStride`.
    private func strides(_ order: ColumnOrder, groups: Int) -> (group: Int, slot: Int) {
        order == .physical ? (layout.columnsPerWeight, 1) : (1, groups)
    }
}

/// The order of the column sums of one read-out row.
public enum ColumnOrder: Sendable, Equatable {
    /// Mapped columns in array order: weight group `g`'s slice columns at `g * width ..< (g + 1) * width`.
    case physical
    /// Slot-major: every group's first slice column, then every group's second, and so on, then the columns
    /// after the groups (the offset column) in array order, so the read-out loops run over consecutive groups.
    case slotMajor

    /// Where mapped column `column` sits in a row of `groups` weight groups of `width` columns.
    @inlinable
    public func position(of column: Int, groups: Int, width: Int) -> Int {
        guard self == .slotMajor, column < groups * width else { return column }
        return (column % width) * groups + column / width
    }
}


extension ShiftAdd.ReadoutRow {
    /// The row of raw column sums at `sums`, converted at `scale`, added with `weight` (plus or minus a
    /// power of two). `unclipped` says the sums are within the bound that makes the scale `unclipped`
    /// (noise-free sums of the levels the scale was made for), so the read-out converts them without a clamp.
    public init(sums: UnsafePointer<Float>, scale: ADC.Scale, weight: Double, unclipped: Bool = false) {
        self.init(sums: sums, factor: scale.factor, step: scale.step, round_decoded: scale.step < 1 ? 1 : 0,
                  decode_in_float: scale.decodesInFloat ? 1 : 0, unclipped: unclipped && scale.unclipped ? 1 : 0,
                  weight: weight)
    }
}
