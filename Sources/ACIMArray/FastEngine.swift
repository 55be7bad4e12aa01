import ACIMCore

/// The batched engine (DESIGN.md section 3): per pass, the input digits of every phase of every vector
/// are stacked as the rows of one matrix `D`, so one `sgemm` `D x G` computes every column sum of the
/// batch. Read noise is added exactly in distribution at the column outputs:
/// `y = D G + sqrt((D o D) S^2) o z`. The ADC and shift-and-add then run as one vectorized pass.
public struct FastEngine: MVMEngine {
    public init() {}

    /// The per-pass matrices of one batch.
    private struct PassPlan {
        /// `(vectors * phases) x wordLines` digits of connected rows.
        var digits: [Float]
        /// `1` where a (vector, phase) connects a word line; only when zero-level cells are disabled.
        var connectionMask: [Float]?
        /// Connected rows per (vector, phase).
        var connected: [Int]
        /// Unit charge per (vector, phase).
        var charge: [Int]
        /// Whether each (vector, phase) runs.
        var runs: [Bool]
        var gated: [Bool]
        var skipped: [Bool]
        var zeroRows: [Int]
    }

    public func run(_ crossbar: Crossbar, inputs: Matrix<Int32>, context: ReadContext) throws -> MVMResult {
        let (mapping, readout) = try crossbar.programmedState()
        let config = crossbar.config
        let layout = crossbar.layout
        let schedule = try InputSchedule(inputs: inputs, mapping: mapping, config: config)
        let gate = SparsityGate(config: config, mapping: mapping)
        let shiftAdd = ShiftAdd(config: config)
        let adc = ADC(bits: config.periphery.adc.bits)
        let timing = config.periphery.timing
        let noise = RandomStream(seed: context.seed, array: crossbar.id, purpose: .readNoise, step: context.step)
        let vectors = inputs.rows
        let phases = layout.phasesPerPass
        let rows = mapping.rows
        let wordLines = readout.levels.rows
        let columns = mapping.mappedColumns
        let stacked = vectors * phases
        let xnor = layout.mode == .xnor
        let zeroCells = gate.disablesZeroCells ? zeroLevelIndicator(mapping) : nil
        // Disabled zero-level cells add neither charge nor noise, whatever their programmed conductance.
        let levels = zeroCells.map { masked(readout.levels, outside: $0) } ?? readout.levels
        let readVariance = zeroCells.flatMap { zero in readout.readVariance.map { masked($0, outside: zero) } }
            ?? readout.readVariance

        var accumulated = Matrix<Double>(rows: vectors, columns: mapping.outputs, repeating: 0)
        var activity = MVMActivity()
        var ungated = MVMActivity()
        activity.vectors = vectors
        ungated.vectors = vectors
        var sums = [Float](repeating: 0, count: stacked * columns)
        var variances = [Float](repeating: 0, count: readout.readVariance == nil ? 0 : stacked * columns)
        var disabledCells = [Float](repeating: 0, count: zeroCells == nil ? 0 : stacked * columns)
        var decoded = [Double](repeating: 0, count: columns)
        var compensated = [Bool](repeating: false, count: columns)

        for (passIndex, pass) in schedule.passes.enumerated() {
            let plan = planPass(pass, mapping: mapping, layout: layout, gate: gate, dacBits: config.periphery.dacBits,
                                wordLines: wordLines, vectors: vectors)
            multiply(plan.digits, levels, into: &sums, m: stacked)
            if let readVariance {
                multiply(plan.digits.map { $0 * $0 }, readVariance, into: &variances, m: stacked)
            }
            if let zeroCells, let mask = plan.connectionMask {
                multiply(mask, zeroCells, into: &disabledCells, m: stacked)
            }

            for b in 0..<vectors {
                activity.passes += 1
                if gate.enabled { activity.zeroTests += rows }
                if mapping.resequenced { activity.permutedInputs += rows }
                if plan.gated[b] {
                    activity.passesGated += 1
                    activity.rowsDisabled += plan.zeroRows[b]
                }
                var passCharge = 0
                if plan.skipped[b] {
                    activity.passesSkipped += 1
                    activity.cycles += timing.detectCycles
                } else {
                    for c in 0..<columns { compensated[c] = false }
                    for phase in 0..<phases {
                        let row = b * phases + phase
                        guard plan.runs[row] else {
                            activity.phasesSkipped += 1
                            continue
                        }
                        activity.phasesRun += 1
                        activity.wordlineDrives += plan.connected[row]
                        passCharge += plan.charge[row]
                        let connected = plan.connected[row]
                        let baseScale = crossbar.fullScale(connectedCells: connected, rescales: gate.rescalesRange,
                                                           mappedRows: rows)
                        var activeColumns = 0
                        let compensatesAll = xnor && plan.zeroRows[b] > 0
                        for c in 0..<columns {
                            decoded[c] = 0
                            if mapping.staticColumnDisabled[c] { continue }
                            let index = row * columns + c
                            let cells = zeroCells == nil ? connected : connected - Int(disabledCells[index])
                            if cells == 0 { continue }
                            var sum = sums[index]
                            if !variances.isEmpty, variances[index] > 0 {
                                let z = noise.gaussian(at: crossbar.noiseIndex(vector: b, pass: passIndex, phase: phase,
                                                                                 column: c, columns: columns))
                                sum += variances[index].squareRoot() * Float(z)
                            }
                            let fullScale = cells == connected ? baseScale
                                : crossbar.fullScale(connectedCells: cells, rescales: gate.rescalesRange, mappedRows: rows)
                            decoded[c] = adc.convert(sum, fullScale: fullScale)
                            activeColumns += 1
                            activity.cellReads += cells
                            if compensatesAll || (gate.rescalesRange && cells != rows) { compensated[c] = true }
                        }
                        activity.adcConversions += activeColumns
                        activity.cycles += timing.phaseCycles(activeColumns: activeColumns, adcCount: layout.adcCount)
                        let weight = pass.sign * shiftAdd.phaseWeight(phase)
                        decoded.withUnsafeBufferPointer { values in
                            for g in 0..<mapping.outputs {
                                accumulated[b, g] += weight * shiftAdd.groupValue(
                                    group: g, offsetColumn: mapping.offsetColumn, driverRows: rows,
                                    zeroRows: plan.zeroRows[b], decoded: { values[$0] })
                            }
                        }
                    }
                    activity.cycles += timing.shiftAddCycles
                    activity.compensatedColumns += compensated.reduce(0) { $0 + ($1 ? 1 : 0) }
                }
                activity.bitlineCharge += passCharge
                ungated += MVMActivity.ungatedPass(mapping: mapping, layout: layout, timing: timing, charge: passCharge)
            }
        }

        var outputs = Matrix<Double>(rows: vectors, columns: mapping.outputs, repeating: 0)
        for b in 0..<vectors {
            for g in 0..<mapping.outputs {
                let offset = Double(schedule.inputOffset) * Double(mapping.weightColumnSums[mapping.outputOrder[g]])
                outputs[b, mapping.outputOrder[g]] = accumulated[b, g] - offset
            }
        }
        return MVMResult(outputs: outputs, cost: MVMCost(activity: activity, ungated: ungated, table: config.energy))
    }

    /// Digits, connections and charge of every (vector, phase) of one pass.
    private func planPass(_ pass: InputSchedule.Pass, mapping: WeightMapping, layout: CrossbarLayout,
                          gate: SparsityGate, dacBits: Int, wordLines: Int, vectors: Int) -> PassPlan {
        let phases = layout.phasesPerPass
        let rows = mapping.rows
        let xnor = layout.mode == .xnor
        let levelSums = levelRowSums(mapping)
        var plan = PassPlan(
            digits: [Float](repeating: 0, count: vectors * phases * wordLines),
            connectionMask: gate.disablesZeroCells ? [Float](repeating: 0, count: vectors * phases * wordLines) : nil,
            connected: [Int](repeating: 0, count: vectors * phases),
            charge: [Int](repeating: 0, count: vectors * phases),
            runs: [Bool](repeating: false, count: vectors * phases),
            gated: [Bool](repeating: false, count: vectors),
            skipped: [Bool](repeating: false, count: vectors),
            zeroRows: [Int](repeating: 0, count: vectors))
        let enabledRows = mapping.enabledRows
        pass.values.storage.withUnsafeBufferPointer { values in
            plan.digits.withUnsafeMutableBufferPointer { digits in
                for b in 0..<vectors {
                    let vector = values.baseAddress! + b * rows
                    var zeros = 0
                    for i in 0..<rows where !mapping.staticRowDisabled[i] && vector[i] == 0 { zeros += 1 }
                    let gated = gate.applies(zeroRows: zeros, enabledRows: enabledRows)
                    plan.zeroRows[b] = zeros
                    plan.gated[b] = gated
                    plan.skipped[b] = gated && zeros == enabledRows
                    if plan.skipped[b] { continue }
                    for phase in 0..<phases {
                        let row = b * phases + phase
                        let digitRow = digits.baseAddress! + row * wordLines
                        let shift = Int32(phase * dacBits)
                        var connected = 0
                        var charge = 0
                        var anyDigit = false
                        for i in 0..<rows where !mapping.staticRowDisabled[i] {
                            let value = vector[i]
                            let digit = xnor ? (value != 0 ? 1 : 0) : (value >> shift) & Int32(layout.maxDigit)
                            guard gate.connects(value: value, digit: digit, gated: gated) else { continue }
                            connected += 1
                            let line = xnor ? (value < 0 ? 2 * i + 1 : 2 * i) : i
                            plan.connectionMask?[row * wordLines + line] = 1
                            guard digit != 0 else { continue }
                            anyDigit = true
                            digitRow[line] = Float(digit)
                            charge += Int(digit) * levelSums[line]
                        }
                        if gated && !anyDigit {
                            // A skipped phase reads nothing: clear its row so the GEMMs give zero.
                            for line in 0..<wordLines {
                                digitRow[line] = 0
                                plan.connectionMask?[row * wordLines + line] = 0
                            }
                            continue
                        }
                        plan.runs[row] = true
                        plan.connected[row] = connected
                        plan.charge[row] = charge
                    }
                }
            }
        }
        return plan
    }

    /// `1` for every used cell at level 0.
    private func zeroLevelIndicator(_ mapping: WeightMapping) -> Matrix<Float> {
        mapping.levels.map { $0 == 0 ? 1 : 0 }
    }

    /// `matrix` with the entries where `indicator` is 1 set to 0.
    private func masked(_ matrix: Matrix<Float>, outside indicator: Matrix<Float>) -> Matrix<Float> {
        Matrix(rows: matrix.rows, columns: matrix.columns,
               storage: zip(matrix.storage, indicator.storage).map { $1 == 0 ? $0 : 0 })
    }

    /// Sum of target levels along each used word line.
    private func levelRowSums(_ mapping: WeightMapping) -> [Int] {
        (0..<mapping.levels.rows).map { w in mapping.levels.row(w).reduce(0) { $0 + Int($1) } }
    }

    /// `result (m x b.columns) = a (m x b.rows) * b`.
    private func multiply(_ a: [Float], _ b: Matrix<Float>, into result: inout [Float], m: Int) {
        a.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                result.withUnsafeMutableBufferPointer { pc in
                    BLAS.sgemm(m: m, n: b.columns, k: b.rows, a: pa.baseAddress!, lda: b.rows,
                               b: pb.baseAddress!, ldb: b.columns, c: pc.baseAddress!, ldc: b.columns)
                }
            }
        }
    }

    /// Every column sum of `inputs` as a fraction of its full-scale sum, for ADC range calibration.
    func fullScaleFractions(_ crossbar: Crossbar, inputs: Matrix<Int32>) throws -> [Float] {
        let (mapping, readout) = try crossbar.programmedState()
        let config = crossbar.config
        let layout = crossbar.layout
        let schedule = try InputSchedule(inputs: inputs, mapping: mapping, config: config)
        let gate = SparsityGate(config: config, mapping: mapping)
        let stacked = inputs.rows * layout.phasesPerPass
        var sums = [Float](repeating: 0, count: stacked * mapping.mappedColumns)
        var fractions: [Float] = []
        for pass in schedule.passes {
            let plan = planPass(pass, mapping: mapping, layout: layout, gate: gate, dacBits: config.periphery.dacBits,
                                wordLines: readout.levels.rows, vectors: inputs.rows)
            multiply(plan.digits, readout.levels, into: &sums, m: stacked)
            for row in 0..<stacked where plan.runs[row] {
                let full = Float(max(1, gate.rescalesRange ? plan.connected[row] : mapping.rows)
                                 * layout.maxDigit * layout.maxLevel)
                for c in 0..<mapping.mappedColumns where !mapping.staticColumnDisabled[c] {
                    fractions.append(max(0, sums[row * mapping.mappedColumns + c]) / full)
                }
            }
        }
        return fractions
    }
}
