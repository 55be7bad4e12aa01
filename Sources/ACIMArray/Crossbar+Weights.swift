import ACIMCore

/// Access to single mapped weights, for the device controller: where a weight's cells are, what the cells
/// hold now as a weight code, and reprogramming one weight in place.
extension Crossbar {
    /// The array row position and weight group of logical weight (`row`, `output`).
    public func position(row: Int, output: Int) throws -> (rowPosition: Int, group: Int) {
        let (mapping, _) = try programmedState()
        guard (0..<mapping.rows).contains(row), (0..<mapping.outputs).contains(output) else {
            throw ACIMError.shapeMismatch("weight (\(row), \(output)) is outside the mapped \(mapping.rows)x\(mapping.outputs) weights")
        }
        return (mapping.rowPosition[row], mapping.outputGroup[output])
    }

    /// The value of logical weight (`row`, `output`) as its cells' effective levels hold it now, noise-free
    /// and before any drift compensation, in weight codes: shift-and-add of the slices, differential or
    /// offset, or the XNOR pair.
    public func effectiveWeight(row: Int, output: Int) throws -> Double {
        let (mapping, readout) = try programmedState()
        let (i, g) = try position(row: row, output: output)
        return effectiveWeight(rowPosition: i, group: g, levels: readout.levels, mapping: mapping)
    }

    /// The word lines and columns of the cells holding the weight at row position `i`, group `g`.
    func cellBlock(rowPosition i: Int, group g: Int) -> (wordLines: Range<Int>, columns: Range<Int>) {
        (i * layout.wordLinesPerRow..<(i + 1) * layout.wordLinesPerRow,
         g * layout.columnsPerWeight..<(g + 1) * layout.columnsPerWeight)
    }

    /// The weight at row position `i`, group `g` of `levels`.
    func effectiveWeight(rowPosition i: Int, group g: Int, levels: Matrix<Float>, mapping: WeightMapping) -> Double {
        let base = g * layout.columnsPerWeight
        let bitsPerCell = config.array.bitsPerCell
        func level(_ wordLine: Int, _ column: Int) -> Double { Double(levels[wordLine, column]) }
        switch (layout.mode, config.array.weightEncoding) {
        case (.xnor, _):
            return level(2 * i, base) - level(2 * i + 1, base)
        case (_, .differential):
            return (0..<layout.slices).reduce(0) { total, k in
                total + Double(1 << (k * bitsPerCell)) * (level(i, base + 2 * k) - level(i, base + 2 * k + 1))
            }
        case (_, .offset):
            let biased = (0..<layout.slices).reduce(0) { $0 + Double(1 << ($1 * bitsPerCell)) * level(i, base + $1) }
            let offset = mapping.offsetColumn.map { level(i, $0) } ?? 1
            return biased - Double(1 << (config.array.weightBits - 1)) * offset
        }
    }

    /// One program pulse on every cell of logical weight (`row`, `output`) towards the levels of `weight`
    /// at the array's time: each cell that is not stuck takes its target conductance plus programming
    /// noise from the stream keyed by `seed` and `pulse`. Returns false when a cell that must change is
    /// stuck. The mapping follows the new value (a statically disabled row or column that now holds a
    /// non-zero level is enabled again).
    @discardableResult
    public mutating func programWeight(row: Int, output: Int, to weight: Int32, seed: UInt64,
                                       pulse: UInt64) throws -> Bool {
        let range = WeightMapping.codeRange(config: config, layout: layout)
        guard range.contains(Int(weight)), layout.mode != .xnor || weight != 0 else {
            throw ACIMError.invalidParameter(name: "weight", value: "\(weight)",
                                             expected: "a code in \(range.lowerBound)...\(range.upperBound)")
        }
        let (i, g) = try position(row: row, output: output)
        // Take the mapping and readout out of the array while editing them, so they are not copied.
        guard var mapping = self.mapping.take(), var readout = self.readout.take() else { return false }
        let streams = WriteStreams(seed: seed, array: id, event: pulse)
        let before = effectiveWeight(rowPosition: i, group: g, levels: readout.levels, mapping: mapping)
        let site = cells.site(ofCell: i * layout.wordLinesPerRow * cells.columns + g * layout.columnsPerWeight)
        beginWrite(site: site)
        var allMoved = true
        for cell in WeightMapping.cells(of: Int(weight), config: config, layout: layout) {
            let wordLine = i * layout.wordLinesPerRow + cell.wordLine
            let column = g * layout.columnsPerWeight + cell.column
            let index = wordLine * cells.columns + column
            if !programCell(index, to: cell.level, streams: streams) { allMoved = false }
            mapping.levels[wordLine, column] = cells.targetLevel(index)
            if cell.level != 0 {
                mapping.staticRowDisabled[i] = false
                mapping.staticColumnDisabled[column] = false
            }
        }
        let block = cellBlock(rowPosition: i, group: g)
        materializeLevels(wordLines: block.wordLines, columns: block.columns, into: &readout.levels)
        let old = mapping.codes[i * mapping.outputs + g]
        mapping.weightColumnSums[output] += Int64(weight) - Int64(old)
        mapping.codes[i * mapping.outputs + g] = weight
        if readout.driftCompensation != .none {
            readout.referenceMagnitude[output] += Double(abs(weight)) - Double(abs(old))
            readout.effectiveMagnitude[output] += abs(effectiveWeight(rowPosition: i, group: g, levels: readout.levels,
                                                                      mapping: mapping)) - abs(before)
        }
        self.mapping = mapping
        self.readout = readout
        return allMoved
    }

    /// Fault injection: scales the conductance above `g_min` of every cell of logical weight (`row`,
    /// `output`) by `factor`, as a drift or charge loss would, without programming it.
    public mutating func degradeWeight(row: Int, output: Int, by factor: Double) throws {
        let (i, g) = try position(row: row, output: output)
        guard let mapping, var readout = self.readout.take() else { return }
        let before = effectiveWeight(rowPosition: i, group: g, levels: readout.levels, mapping: mapping)
        let gMin = config.device.gMin.value
        let block = cellBlock(rowPosition: i, group: g)
        for w in block.wordLines {
            for column in block.columns {
                let index = w * cells.columns + column
                cells.conductance[index] = Float(gMin + (Double(cells.conductance[index]) - gMin) * factor)
            }
        }
        materializeLevels(wordLines: block.wordLines, columns: block.columns, into: &readout.levels)
        readout.effectiveMagnitude[output] += abs(effectiveWeight(rowPosition: i, group: g, levels: readout.levels,
                                                                  mapping: mapping)) - abs(before)
        self.readout = readout
    }

    /// Fault injection: marks every cell of logical weight (`row`, `output`) stuck at its conductance.
    public mutating func stickWeight(row: Int, output: Int) throws {
        let (i, g) = try position(row: row, output: output)
        let block = cellBlock(rowPosition: i, group: g)
        for w in block.wordLines {
            for column in block.columns {
                cells.setStuck(w * cells.columns + column)
            }
        }
    }

    /// The code logical weight (`row`, `output`) was last programmed to.
    public func weightCode(row: Int, output: Int) throws -> Int32 {
        let (mapping, _) = try programmedState()
        let (i, g) = try position(row: row, output: output)
        return mapping.codes[i * mapping.outputs + g]
    }

    /// Switches the logical outputs marked in `off` (one flag per output) off, and the others on: the columns
    /// of an output that is off are not converted (no ADC conversion; its MVM output is 0 before the
    /// offset correction) until it is switched on again. Its cells keep their weights, which the device
    /// controller still maintains. A subtask gates its pruned filters this way.
    public mutating func gateOutputs(_ off: [Bool]) throws {
        guard var mapping else { throw ACIMError.inconsistentParameters("the crossbar has no weights: program it before gating outputs") }
        guard off.count == mapping.outputs else {
            throw ACIMError.shapeMismatch("\(off.count) output gates for an array of \(mapping.outputs) outputs")
        }
        for output in 0..<mapping.outputs {
            let group = mapping.outputGroup[output]
            for column in (group * layout.columnsPerWeight)..<((group + 1) * layout.columnsPerWeight) {
                mapping.gatedColumns[column] = off[output]
            }
        }
        self.mapping = mapping
    }
}
