import ACIMCore

/// The digital recombination after the ADCs: slices by shift-and-add, differential or offset columns,
/// XNOR decoding with its compensation, and bit-serial phases.
///
/// Both engines call it in the same canonical order (pass, phase, slice), so equal column codes give
/// bit-identical outputs.
public struct ShiftAdd: Sendable {
    public let layout: CrossbarLayout
    public let encoding: WeightEncoding
    public let weightBits: Int
    public let bitsPerCell: Int
    public let dacBits: Int

    public init(config: CrossbarConfig) {
        layout = CrossbarLayout(config: config)
        encoding = config.array.weightEncoding
        weightBits = config.array.weightBits
        bitsPerCell = config.array.bitsPerCell
        dacBits = config.periphery.dacBits
    }

    /// Weight of phase `phase` of a pass: `2^(phase * dac_bits)`.
    @inlinable
    public func phaseWeight(_ phase: Int) -> Double { Double(1 << (phase * dacBits)) }

    /// The value of weight group `group` for one phase, from the decoded sums of the mapped columns.
    /// `decoded(c)` is the decoded sum of physical column `c` (0 for columns not read).
    /// In XNOR mode `driverRows` is the number of rows the decoder assumes and `zeroRows` the number of
    /// zero-flagged rows, whose contribution the digital compensation restores (MECHANISMS.md 1.6).
    @inlinable
    public func groupValue(group: Int, offsetColumn: Int?, driverRows: Int, zeroRows: Int,
                           decoded: (Int) -> Double) -> Double {
        let base = group * layout.columnsPerWeight
        switch (layout.mode, encoding) {
        case (.xnor, _):
            let raw = 2 * decoded(base) - Double(driverRows)
            return raw + Double(zeroRows)
        case (_, .differential):
            var value = 0.0
            for k in 0..<layout.slices {
                value += Double(1 << (k * bitsPerCell)) * (decoded(base + 2 * k) - decoded(base + 2 * k + 1))
            }
            return value
        case (_, .offset):
            var value = 0.0
            for k in 0..<layout.slices {
                value += Double(1 << (k * bitsPerCell)) * decoded(base + k)
            }
            return value - Double(1 << (weightBits - 1)) * decoded(offsetColumn ?? base)
        }
    }
}
