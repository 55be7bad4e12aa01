import ACIMCore

/// The plain engine: walks vectors, passes, phases, columns and cells one by one, as the hardware does.
/// Obviously right and slow; the fast engine is tested against it.
public struct ReferenceEngine: MVMEngine {
    public init() {}

    public func run(_ crossbar: Crossbar, inputs: Matrix<Int32>, context: ReadContext) throws -> MVMResult {
        let (mapping, readout) = try crossbar.programmedState()
        let config = crossbar.config
        let layout = crossbar.layout
        let schedule = try InputSchedule(inputs: inputs, mapping: mapping, config: config)
        let gate = SparsityGate(config: config, mapping: mapping)
        let shiftAdd = ShiftAdd(config: config)
        let adc = ADC(config: config)
        let timing = config.scaledTiming
        let drive = PhaseDrive(config: config)
        let correction = OutputCorrection(mapping: mapping, inputOffset: schedule.inputOffset,
                                          factors: readout.compensationFactors())
        let rows = mapping.rows
        let columns = mapping.mappedColumns
        let xnor = layout.mode == .xnor

        var outputs = Matrix<Double>(rows: inputs.rows, columns: mapping.outputs, repeating: 0)
        var activity = MVMActivity()
        var ungated = MVMActivity()
        var decoded = [Double](repeating: 0, count: columns)
        // Where every column of a phase converts at one full scale (zero-level cells are not disabled), the
        // phase adds its codes (`ShiftAdd.accumulate(codes:)`), unless its step is finer than one unit.
        let oneScale = !xnor && !gate.disablesZeroCells
        var codes = [Int](repeating: 0, count: columns)

        for b in 0..<inputs.rows {
            activity.vectors += 1
            ungated.vectors += 1
            // Each pass's sums, one row of outputs per pass.
            var accumulated = [Double](repeating: 0, count: schedule.passes.count * mapping.outputs)
            for (passIndex, pass) in schedule.passes.enumerated() {
                activity.passes += 1
                if gate.enabled { activity.zeroTests += rows }
                if mapping.resequenced { activity.permutedInputs += rows }
                var enabledRows = 0
                var zeroRows = 0
                for i in 0..<rows where !mapping.staticRowDisabled[i] {
                    enabledRows += 1
                    if pass.value(b, i) == 0 { zeroRows += 1 }
                }
                let gated = gate.applies(zeroRows: zeroRows, enabledRows: enabledRows)
                if gated {
                    activity.passesGated += 1
                    activity.rowsDisabled += zeroRows
                }
                var passCharge = 0
                var passPulses = PhaseDrive.Pulses.none
                var compensatedColumns = Set<Int>()
                let skipped = gated && zeroRows == enabledRows
                if skipped {
                    activity.passesSkipped += 1
                    activity.cycles += timing.detectCycles
                }
                for phase in 0..<layout.phasesPerPass where !skipped {
                    // Which rows this phase connects, the word line each drives, and its digit.
                    var connected = [Bool](repeating: false, count: rows)
                    var wordLine = [Int](repeating: 0, count: rows)
                    var digit = [Int32](repeating: 0, count: rows)
                    var anyDigit = false
                    for i in 0..<rows {
                        let value = pass.value(b, i)
                        if xnor {
                            digit[i] = value != 0 ? 1 : 0
                            wordLine[i] = value < 0 ? 2 * i + 1 : 2 * i
                        } else {
                            // Sign-magnitude inputs: the digit takes the sign, the polarity of the drive.
                            let magnitude = (abs(value) >> Int32(phase * layout.digitBits)) & Int32(layout.maxDigit)
                            digit[i] = value < 0 ? -magnitude : magnitude
                            wordLine[i] = i
                        }
                        connected[i] = !mapping.staticRowDisabled[i] && gate.connects(value: value, digit: digit[i], gated: gated)
                        if connected[i] && digit[i] != 0 { anyDigit = true }
                    }
                    if gated && !anyDigit {
                        activity.phasesSkipped += 1
                        continue
                    }
                    activity.phasesRun += 1
                    var pulses = PhaseDrive.Pulses.none
                    for i in 0..<rows where connected[i] {
                        pulses.steps += Int(abs(digit[i]))
                        pulses.longest = max(pulses.longest, Int(abs(digit[i])))
                    }
                    passPulses = pulses
                    activity.wordlineDrives += drive.drives(connected: connected.filter { $0 }.count, pulses: pulses)
                    var activeColumns = 0
                    var rowFullScale: Float?
                    for c in 0..<columns {
                        decoded[c] = 0
                        codes[c] = 0
                        if !mapping.converts(column: c) || layout.isPairedMinus(c, groups: mapping.outputs) { continue }
                        // The bit lines one conversion reads: the G+ and G- column of an analog pair, whose
                        // currents subtract, else the column alone.
                        var cells = 0
                        var sum: Float = 0
                        var squaredDigits = 0
                        var charge = 0
                        var reads = 0
                        for (line, polarity) in layout.analogPairs ? [(c, Float(1)), (c + 1, Float(-1))] : [(c, Float(1))] {
                            var lineCells = 0
                            var lineSum: Float = 0
                            for i in 0..<rows where connected[i] {
                                let level = mapping.levels[wordLine[i], line]
                                if gate.disablesZeroCells && level == 0 { continue }
                                lineCells += 1
                                lineSum += Float(digit[i]) * readout.levels[wordLine[i], line]
                                squaredDigits += Int(digit[i]) * Int(digit[i])
                                charge += Int(abs(digit[i])) * Int(level)
                            }
                            cells = max(cells, lineCells)
                            sum += polarity * lineSum
                            reads += drive.cellReads(cells: lineCells, pulses: pulses)
                        }
                        if cells == 0 { continue }
                        // Every cell has the same read variance: the column's is that times the squared digits.
                        let variance = readout.readVariance * Float(squaredDigits)
                        if variance > 0 {
                            let noise = context.readNoise(array: crossbar.id, vector: b)
                            let z = noise.gaussian(at: crossbar.noiseIndex(pass: passIndex, phase: phase,
                                                                             column: c, columns: columns))
                            sum += variance.squareRoot() * Float(z)
                        }
                        let fullScale = crossbar.fullScale(connectedCells: cells, rescales: gate.rescalesRange,
                                                           mappedRows: rows)
                        decoded[c] = adc.convert(sum, fullScale: fullScale)
                        codes[c] = Int(adc.code(sum, fullScale: fullScale))
                        precondition(!oneScale || rowFullScale == nil || rowFullScale == fullScale,
                                     "the columns of a phase convert at one full scale")
                        rowFullScale = fullScale
                        activeColumns += 1
                        activity.adcConversions += 1
                        activity.cellReads += reads
                        passCharge += charge
                        if (gate.rescalesRange && cells != rows) || (xnor && zeroRows > 0) {
                            compensatedColumns.insert(c)
                        }
                    }
                    activity.cycles += drive.cycles(timing, activeColumns: activeColumns, adcCount: layout.adcCount,
                                                    pulses: pulses)
                    let weight = pass.sign * shiftAdd.phaseWeight(phase)
                    accumulated.withUnsafeMutableBufferPointer { accumulated in
                        let passSums = accumulated.baseAddress! + passIndex * mapping.outputs
                        if oneScale, let step = rowFullScale.map({ adc.step(fullScale: $0) }), step >= 1 {
                            shiftAdd.accumulate(codes: codes, step: step, weight: weight, groups: mapping.outputs,
                                                offsetColumn: mapping.offsetColumn, into: passSums)
                        } else {
                            decoded.withUnsafeBufferPointer { decoded in
                                shiftAdd.accumulate(decoded.baseAddress!, weight: weight, groups: mapping.outputs,
                                                    offsetColumn: mapping.offsetColumn, driverRows: rows,
                                                    zeroRows: zeroRows, into: passSums)
                            }
                        }
                    }
                }
                if !skipped { activity.cycles += timing.shiftAddCycles }
                activity.bitlineCharge += passCharge
                activity.compensatedColumns += compensatedColumns.count
                ungated += MVMActivity.ungatedPass(mapping: mapping, layout: layout, drive: drive, timing: timing,
                                                   charge: passCharge, pulses: passPulses)
            }
            accumulated.withUnsafeBufferPointer { sums in
            outputs.storage.withUnsafeMutableBufferPointer { outputs in
                let passes = schedule.passes.indices.map { sums.baseAddress! + $0 * mapping.outputs }
                passes.withUnsafeBufferPointer {
                    correction.apply(vectors: 1, passes: $0, into: outputs.baseAddress! + b * mapping.outputs)
                }
            }
            }
        }
        let cost = MVMCost(activity: activity, ungated: ungated, table: config.scaledEnergy, array: crossbar.id)
        return MVMResult(outputs: outputs, cost: cost)
    }
}
