import ACIMCore

/// Where a weight matrix lands in the crossbar and which cells sparsity disabling switches off statically
/// (MECHANISMS.md section 1.5, offline part).
///
/// Logical weights are `rows x outputs` integer codes. Row position `i` of the array holds logical row
/// `rowOrder[i]`; weight group `g` (its slice columns kept together) holds logical output `outputOrder[g]`.
public struct WeightMapping: Sendable, Equatable {
    /// Logical input rows used.
    public let rows: Int
    /// Logical outputs (weights per row).
    public let outputs: Int
    /// Zero fraction of the logical weights.
    public let weightSparsity: Double
    /// True when rows and columns were resequenced (weight sparsity above its threshold).
    public let resequenced: Bool
    /// `rowOrder[i]` is the logical row at array row position `i`.
    public let rowOrder: [Int]
    /// `outputOrder[g]` is the logical output held by weight group `g`.
    public let outputOrder: [Int]
    /// Physical column of the offset column (offset encoding only).
    public let offsetColumn: Int?
    /// Physical columns in use: the weight groups and the offset column.
    public let mappedColumns: Int
    /// Cell level of every used cell: `wordLines x mappedColumns`, word line `i * wordLinesPerRow + w`.
    public let levels: Matrix<UInt8>
    /// Per row position: never driven because all its cells are at level 0 (sparsity enabled only).
    public let staticRowDisabled: [Bool]
    /// Per physical column: never read because all its cells are at level 0 (sparsity enabled only).
    public let staticColumnDisabled: [Bool]
    /// Digital column sums of the logical weights, for offset-encoded inputs.
    public let weightColumnSums: [Int64]

    /// Maps `weights` (`rows x outputs` codes) onto an array described by `config`.
    public init(weights: Matrix<Int32>, config: CrossbarConfig) throws {
        let layout = CrossbarLayout(config: config)
        let sparsity = config.periphery.sparsity
        guard weights.rows >= 1, weights.rows <= layout.logicalRows else {
            throw ACIMError.shapeMismatch("weight matrix has \(weights.rows) rows; the array takes 1...\(layout.logicalRows) input rows")
        }
        guard weights.columns >= 1, weights.columns <= layout.weightCapacity else {
            throw ACIMError.shapeMismatch("weight matrix has \(weights.columns) outputs; the array holds 1...\(layout.weightCapacity) weights of \(layout.columnsPerWeight) columns")
        }
        let range = WeightMapping.codeRange(config: config, layout: layout)
        for (index, w) in weights.storage.enumerated() where !range.contains(Int(w)) || (layout.mode == .xnor && w == 0) {
            throw ACIMError.invalidParameter(
                name: "weight[\(index / weights.columns)][\(index % weights.columns)]", value: "\(w)",
                expected: layout.mode == .xnor
                    ? "-1 or +1 (binary weights in xnor mode)"
                    : "a code in \(range.lowerBound)...\(range.upperBound) for \(config.array.weightBits)-bit \(config.array.weightEncoding.rawValue) weights")
        }
        rows = weights.rows
        outputs = weights.columns

        let zeros = weights.storage.reduce(0) { $0 + ($1 == 0 ? 1 : 0) }
        weightSparsity = Double(zeros) / Double(weights.storage.count)
        resequenced = sparsity.enabled && layout.mode == .and && weightSparsity > sparsity.weightThreshold
        if resequenced {
            var rowDensity = [Int](repeating: 0, count: rows)
            var outputDensity = [Int](repeating: 0, count: outputs)
            for r in 0..<rows {
                for j in 0..<outputs where weights[r, j] != 0 {
                    rowDensity[r] += 1
                    outputDensity[j] += 1
                }
            }
            // Stable sorts by descending density: all-zero rows and weight groups end up at the tail.
            rowOrder = (0..<rows).sorted { (rowDensity[$0], -$0) > (rowDensity[$1], -$1) }
            outputOrder = (0..<outputs).sorted { (outputDensity[$0], -$0) > (outputDensity[$1], -$1) }
        } else {
            rowOrder = Array(0..<rows)
            outputOrder = Array(0..<outputs)
        }

        let encoding = config.array.weightEncoding
        let bitsPerCell = config.array.bitsPerCell
        offsetColumn = layout.offsetColumns > 0 ? outputs * layout.columnsPerWeight : nil
        mappedColumns = outputs * layout.columnsPerWeight + layout.offsetColumns
        var levels = Matrix<UInt8>(rows: rows * layout.wordLinesPerRow, columns: mappedColumns, repeating: 0)
        for i in 0..<rows {
            let r = rowOrder[i]
            for g in 0..<outputs {
                let w = Int(weights[r, outputOrder[g]])
                let base = g * layout.columnsPerWeight
                switch (layout.mode, encoding) {
                case (.xnor, _):
                    let bit: UInt8 = w > 0 ? 1 : 0
                    levels[2 * i, base] = bit
                    levels[2 * i + 1, base] = 1 - bit
                case (_, .differential):
                    let magnitude = abs(w)
                    for k in 0..<layout.slices {
                        let level = UInt8((magnitude >> (k * bitsPerCell)) & layout.maxLevel)
                        levels[i, base + 2 * k + (w < 0 ? 1 : 0)] = level
                    }
                case (_, .offset):
                    let biased = w + (1 << (config.array.weightBits - 1))
                    for k in 0..<layout.slices {
                        levels[i, base + k] = UInt8((biased >> (k * bitsPerCell)) & layout.maxLevel)
                    }
                }
            }
            if let offsetColumn { levels[i, offsetColumn] = 1 }
        }
        self.levels = levels

        // Static disabling of rows and columns whose cells are all at level 0.
        let staticEnabled = sparsity.enabled && layout.mode == .and
        var rowDisabled = [Bool](repeating: false, count: rows)
        var columnDisabled = [Bool](repeating: false, count: mappedColumns)
        if staticEnabled {
            for i in 0..<rows {
                rowDisabled[i] = (0..<mappedColumns).allSatisfy { levels[i, $0] == 0 }
            }
            for c in 0..<mappedColumns {
                columnDisabled[c] = (0..<levels.rows).allSatisfy { levels[$0, c] == 0 }
            }
        }
        staticRowDisabled = rowDisabled
        staticColumnDisabled = columnDisabled

        var sums = [Int64](repeating: 0, count: outputs)
        for r in 0..<rows {
            for j in 0..<outputs { sums[j] += Int64(weights[r, j]) }
        }
        weightColumnSums = sums
    }

    /// The weight codes a configuration can hold.
    public static func codeRange(config: CrossbarConfig, layout: CrossbarLayout) -> ClosedRange<Int> {
        if layout.mode == .xnor { return -1...1 }  // and never 0: binary weights are -1 or +1
        let half = 1 << (config.array.weightBits - 1)
        switch config.array.weightEncoding {
        case .differential: return -(half - 1)...(half - 1)
        case .offset: return -half...(half - 1)
        }
    }

    /// Number of array row positions that are not statically disabled.
    public var enabledRows: Int { staticRowDisabled.reduce(0) { $0 + ($1 ? 0 : 1) } }

    /// Number of mapped columns that are not statically disabled.
    public var enabledColumns: Int { staticColumnDisabled.reduce(0) { $0 + ($1 ? 0 : 1) } }
}
