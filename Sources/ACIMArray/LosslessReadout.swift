import ACIMCore
import CKernels

/// The FastEngine's shortcut for read-out rows whose ADC loses nothing.
///
/// A row converted at a step finer than one unit product decodes each column to a whole unit; when no
/// column sum it can produce clips or rounds to another (`acim_adc_is_lossless`), its decoded sums are the
/// exact column sums, and the shift-and-add of such rows is a linear function of the input digits: over
/// the phases `p` and slices `k` of a pass, `sum_p 2^(p * digit bits) * sum_k 2^(k * bits per cell) *
/// (digits_p . levels_k)`, which equals `(sum_p 2^(p * digit bits) * digits_p) . (sum_k 2^(k * bits per cell)
/// * levels_k)`. So the phases of a vector whose rows are lossless are combined into one row of combined
/// digits, and the slices into combined weight codes, and one small integer GEMM gives what the bit-serial
/// GEMMs, the ADCs and the shift-and-add would have: one row per vector instead of one per phase, one
/// column per weight group (and piece) instead of one per slice.
///
/// The result is the same bit for bit: the read-out adds the phases of a pass in order, from zero, and
/// whole numbers below 2^53 add exactly in any order, so a lossless prefix of a pass's phases gives the
/// same double however it is summed. Only a prefix is combined: the phases after the first lossy one keep
/// their bit-serial rows, added after the prefix as before. Costs do not change: every row still counts its
/// drives, conversions and cycles.
///
/// Made once per programmed state (`PreparedReadout`), for arrays whose levels are integers on the integer
/// GEMM, without read noise, in AND mode with unsigned digits and digital differential or offset
/// encoding, and whose zero-level cells stay connected.
final class LosslessReadout: Sendable {
    /// The combined weight codes, `word lines x (pieces x groups + offset column)`: piece `q`'s code of group
    /// `g` at column `q * groups + g`, the slices of a piece shifted within it; the offset column last.
    let weights: IntegerGEMM.PackedMatrix
    /// The weight of each piece: `2^(first slice * bits per cell)`.
    let pieceWeights: [Double]
    /// The offset column's weight (`-2^(weight bits - 1)`), or nil without one.
    let offsetWeight: Double?
    let groups: Int
    /// Per ADC scale (`PreparedReadout.scales`), whether a row at that scale is lossless.
    let lossless: [Bool]

    /// The lossless read-out of an array whose levels are packed for the integer GEMM, or nil where the
    /// shortcut does not apply (see the type) or no scale is lossless.
    init?(layout: CrossbarLayout, config: CrossbarConfig, gate: SparsityGate, mapping: WeightMapping,
          readout: ArrayReadout, scales: [ADC.Scale], adc: ADC) {
        guard readout.readVariance == 0, layout.mode == .and, !layout.signedSums,
              !gate.disablesZeroCells else { return nil }
        let encoding = config.array.weightEncoding
        let bitsPerCell = config.array.bitsPerCell
        // The combined digits of every phase must fit the GEMM's unsigned byte.
        let largestDigit = layout.maxDigit * (0..<layout.phasesPerPass).reduce(0) { $0 + 1 << ($1 * layout.digitBits) }
        let levels = readout.levels
        let wordLines = levels.rows
        let (lowest, highest) = levels.storage.reduce((Float(0), Float(0))) { (min($0.0, $1), max($0.1, $1)) }
        let largestLevel = Int(highest)
        guard largestDigit <= 255, lowest >= 0, largestLevel > 0 else { return nil }
        // A row at scale `c` (connected cells, or every mapped row with one scale) connects at most `c` rows:
        // its column sums are at most c * largest digit * largest level.
        let rescales = gate.rescalesRange
        let lossless = scales.enumerated().map { c, scale in
            let cells = rescales ? c : mapping.rows
            return cells > 0 && acim_adc_is_lossless(scale.factor, scale.step, adc.topCode, adc.bottomCode,
                                                     Int64(cells * layout.maxDigit * largestLevel)) != 0
        }
        guard lossless.contains(true) else { return nil }
        // The widest code an 8-bit operand takes exactly against digits up to largestDigit.
        guard let widest = (1...127).last(where: { IntegerGEMM.isExact(maxA: largestDigit, maxB: $0, depth: wordLines) })
        else { return nil }
        // Slices grouped into pieces, each piece's combined code within that bound (a differential code is the
        // difference of two such sums, no wider than either).
        var pieces: [Range<Int>] = []
        var first = 0
        while first < layout.slices {
            var end = first
            var span = 0
            while end < layout.slices, span + largestLevel << ((end - first) * bitsPerCell) <= widest {
                span += largestLevel << ((end - first) * bitsPerCell)
                end += 1
            }
            guard end > first else { return nil }
            pieces.append(first..<end)
            first = end
        }
        let groups = mapping.outputs
        let width = layout.columnsPerWeight
        let offsetColumn = encoding == .offset ? mapping.offsetColumn : nil
        guard encoding == .differential || offsetColumn != nil else { return nil }
        let columns = pieces.count * groups + (offsetColumn != nil ? 1 : 0)
        // Columns no ADC reads decode to 0.
        let read = (0..<levels.columns).map { mapping.converts(column: $0) ? Int32(1) : 0 }
        var codes = [Int8](repeating: 0, count: wordLines * columns)
        for w in 0..<wordLines {
            func level(_ c: Int) -> Int32 { Int32(levels[w, c]) * read[c] }
            for (q, piece) in pieces.enumerated() {
                for g in 0..<groups {
                    var code: Int32 = 0
                    for k in piece {
                        let slice = encoding == .differential ? level(g * width + 2 * k) - level(g * width + 2 * k + 1)
                            : level(g * width + k)
                        code += slice << Int32((k - piece.lowerBound) * bitsPerCell)
                    }
                    codes[w * columns + q * groups + g] = Int8(code)
                }
            }
            if let offsetColumn { codes[w * columns + columns - 1] = Int8(level(offsetColumn)) }
        }
        guard let weights = IntegerGEMM.PackedMatrix(rows: wordLines, columns: columns, values: codes) else { return nil }
        self.weights = weights
        pieceWeights = pieces.map { Double(1 << ($0.lowerBound * bitsPerCell)) }
        offsetWeight = offsetColumn != nil ? -Double(1 << (config.array.weightBits - 1)) : nil
        self.groups = groups
        self.lossless = lossless
    }

    /// Adds `sign` times the value of every weight group of one vector's combined row `product` (a row of
    /// `weights.columns` GEMM results) to `output[g]`. Every term and every sum is a whole number below
    /// 2^53, so the additions are exact in any order: piece by piece, over consecutive groups.
    func accumulate(_ product: UnsafePointer<Float>, sign: Double, into output: UnsafeMutablePointer<Double>) {
        let groups = self.groups
        for (q, weight) in pieceWeights.enumerated() {
            let (piece, scale) = (product + q * groups, sign * weight)
            for g in 0..<groups { output[g] += scale * Double(piece[g]) }
        }
        if let offsetWeight {
            let offset = sign * offsetWeight * Double(product[weights.columns - 1])
            for g in 0..<groups { output[g] += offset }
        }
    }
}
