import ACIMCore

/// Where a weight matrix lands in the crossbar and which cells sparsity disabling switches off statically
/// (the part of sparsity-aware disabling decided when the weights are loaded).
///
/// Logical weights are `rows x outputs` integer codes. Row position `i` of the array holds logical row
/// `rowOrder[i]`; weight group `g` (its slice columns kept together) holds logical output `outputOrder[g]`.
public struct WeightMapping: Sendable, Equatable, Codable {
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
    /// The inverses: the row position of each logical row and the group of each logical output.
    public let rowPosition: [Int]
    public let outputGroup: [Int]
    /// Physical column of the offset column (offset encoding only).
    public let offsetColumn: Int?
    /// Physical columns in use: the weight groups and the offset column.
    public let mappedColumns: Int
    /// Cell level of every used cell: `wordLines x mappedColumns`, word line `i * wordLinesPerRow + w`.
    public internal(set) var levels: Matrix<UInt8>
    /// Per row position: never driven because all its cells are at level 0 (sparsity enabled only).
    public internal(set) var staticRowDisabled: [Bool]
    /// Per physical column: never read because all its cells are at level 0 (sparsity enabled only).
    public internal(set) var staticColumnDisabled: [Bool]
    /// Per physical column: switched off with its output (`Crossbar.gateOutputs`), so never read while off.
    public internal(set) var gatedColumns: [Bool]
    /// The weight codes by position: `codes[i * outputs + g]` is held by row position `i`, group `g`.
    @Packed public internal(set) var codes: [Int32]
    /// Digital column sums of the logical weights, for offset-encoded inputs.
    public internal(set) var weightColumnSums: [Int64]

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

        var rowPosition = [Int](repeating: 0, count: rows)
        for (i, r) in rowOrder.enumerated() { rowPosition[r] = i }
        var outputGroup = [Int](repeating: 0, count: outputs)
        for (g, j) in outputOrder.enumerated() { outputGroup[j] = g }
        self.rowPosition = rowPosition
        self.outputGroup = outputGroup
        offsetColumn = layout.offsetColumns > 0 ? outputs * layout.columnsPerWeight : nil
        mappedColumns = outputs * layout.columnsPerWeight + layout.offsetColumns
        var levels = Matrix<UInt8>(rows: rows * layout.wordLinesPerRow, columns: mappedColumns, repeating: 0)
        for i in 0..<rows {
            let r = rowOrder[i]
            for g in 0..<outputs {
                for cell in WeightMapping.cells(of: Int(weights[r, outputOrder[g]]), config: config, layout: layout) {
                    levels[i * layout.wordLinesPerRow + cell.wordLine, g * layout.columnsPerWeight + cell.column] = cell.level
                }
            }
            if let offsetColumn { levels[i, offsetColumn] = 1 }
        }
        self.levels = levels
        let (rowOrder, outputOrder, outputs) = (rowOrder, outputOrder, outputs)
        codes = (0..<rows * outputs).map { weights[rowOrder[$0 / outputs], outputOrder[$0 % outputs]] }

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
        gatedColumns = [Bool](repeating: false, count: mappedColumns)

        var sums = [Int64](repeating: 0, count: outputs)
        for r in 0..<rows {
            for j in 0..<outputs { sums[j] += Int64(weights[r, j]) }
        }
        weightColumnSums = sums
    }

    /// One cell of a weight: its word line within the row (0, or 1 for the complementary XNOR line), its
    /// column within the weight group, and its level.
    public struct WeightCell: Sendable, Equatable {
        public var wordLine: Int
        public var column: Int
        public var level: UInt8
    }

    /// The cells holding weight code `w`, every cell of its group: differential magnitude slices in the
    /// G+ (even) or G- (odd) column of each pair, offset-biased slices, or the complementary XNOR pair.
    public static func cells(of w: Int, config: CrossbarConfig, layout: CrossbarLayout) -> [WeightCell] {
        let bitsPerCell = config.array.bitsPerCell
        switch (layout.mode, config.array.weightEncoding) {
        case (.xnor, _):
            let bit: UInt8 = w > 0 ? 1 : 0
            return [WeightCell(wordLine: 0, column: 0, level: bit), WeightCell(wordLine: 1, column: 0, level: 1 - bit)]
        case (_, .differential):
            let magnitude = abs(w)
            return (0..<layout.slices).flatMap { k -> [WeightCell] in
                let level = UInt8((magnitude >> (k * bitsPerCell)) & layout.maxLevel)
                return [WeightCell(wordLine: 0, column: 2 * k, level: w < 0 ? 0 : level),
                        WeightCell(wordLine: 0, column: 2 * k + 1, level: w < 0 ? level : 0)]
            }
        case (_, .offset):
            let biased = w + (1 << (config.array.weightBits - 1))
            return (0..<layout.slices).map { k in
                WeightCell(wordLine: 0, column: k, level: UInt8((biased >> (k * bitsPerCell)) & layout.maxLevel))
            }
        }
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

    /// Whether an MVM converts column `c`: neither statically disabled nor switched off.
    @inlinable
    public func converts(column c: Int) -> Bool { !staticColumnDisabled[c] && !gatedColumns[c] }

    /// Number of mapped columns an MVM converts.
    public var convertedColumns: Int { (0..<mappedColumns).reduce(0) { $0 + (converts(column: $1) ? 1 : 0) } }
}
