import ACIMCore
import Testing
@testable import ACIMArray

/// Sparsity-aware cell disabling: exactness in every mode, the strict threshold, resequencing round trips,
/// the XNOR offset, energy against sparsity, mode selection and the finer ADC step of disconnected cells.
@Suite struct SparsityMechanismTests {
    /// 1. Exactness: with a lossless ADC and no noise, the gated and compensated output equals the
    /// mathematical ideal in both modes, both cap modes and both granularities.
    @Test(arguments: 0..<200)
    func gatedOutputIsExact(seed: Int) throws {
        var sample = RandomCase.make(seed: UInt64(5000 + seed), xnor: seed % 4 == 0, losslessADC: true)
        sample.config.periphery.sparsity.enabled = true
        sample.config.periphery.sparsity.disabledCells = seed % 2 == 0 ? .grounded : .disconnected
        sample.config.periphery.sparsity.granularity = (seed / 2) % 2 == 0 ? .row : .bitPlane
        let crossbar = try sample.programmed()
        let result = try ReferenceEngine().run(crossbar, inputs: sample.inputs, context: ReadContext(seed: 1, firstVector: 0))
        #expect(result.outputs == sample.ideal)
        let fast = try FastEngine().run(crossbar, inputs: sample.inputs, context: ReadContext(seed: 1, firstVector: 0))
        #expect(fast.outputs == sample.ideal)
    }

    private func crossbar(rows: Int, threshold: Double, weights: Matrix<Int32>,
                          configure: (inout CrossbarConfig) -> Void = { _ in }) throws -> Crossbar {
        var config = CrossbarConfig()
        config.array.rows = rows
        config.array.cols = 64
        config.periphery.inputEncoding = .unsigned
        config.periphery.adc.bits = 12
        config.periphery.sparsity.inputThreshold = .fixed(threshold)
        configure(&config)
        var crossbar = try Crossbar(config: config, id: testArray, temperature: 300)
        try crossbar.program(weights: weights, seed: 1)
        return crossbar
    }

    /// 2. Threshold: s <= Tin disables no row; s > Tin disables exactly the Z zero rows ("exceeds" is strict).
    @Test func thresholdIsStrict() throws {
        let weights = Matrix<Int32>(rows: 10, columns: 4) { r, j in Int32((r + j) % 7 + 1) }
        let xb = try crossbar(rows: 10, threshold: 0.3, weights: weights)
        let atThreshold = Matrix<Int32>(rows: 1, columns: 10) { _, i in i < 3 ? 0 : 5 }   // s = 0.3
        let above = Matrix<Int32>(rows: 1, columns: 10) { _, i in i < 4 ? 0 : 5 }         // s = 0.4
        for engine in [ReferenceEngine() as any MVMEngine, FastEngine()] {
            let at = try engine.run(xb, inputs: atThreshold, context: ReadContext(seed: 0, firstVector: 0)).cost.activity
            #expect(at.passesGated == 0)
            #expect(at.rowsDisabled == 0)
            #expect(at.wordlineDrives == 10 * 8)
            let over = try engine.run(xb, inputs: above, context: ReadContext(seed: 0, firstVector: 0)).cost.activity
            #expect(over.passesGated == 1)
            #expect(over.rowsDisabled == 4)
            // 5 = 0b101: phases 1, 3..7 have no set bit and are skipped; 6 rows driven in phases 0 and 2.
            #expect(over.phasesRun == 2)
            #expect(over.wordlineDrives == 6 * 2)
        }
    }

    /// 3. Permutation round trip: resequenced outputs equal the unpermuted ones; the orders are valid
    /// permutations and the slice columns of one weight stay together and in order.
    @Test(arguments: 0..<30)
    func resequencingRoundTrip(seed: Int) throws {
        var sample = RandomCase.make(seed: UInt64(9000 + seed), losslessADC: true)
        sample.config.periphery.sparsity.enabled = true
        sample.config.periphery.sparsity.weightThreshold = 0
        var rng = RandomStream(seed: UInt64(seed), purpose: .userInput)
        sample.weights = sample.weights.map { rng.nextUniform() < 0.6 ? 0 : $0 }
        let crossbar = try sample.programmed()
        let mapping = try #require(crossbar.mapping)
        let zeros = sample.weights.storage.filter { $0 == 0 }.count
        #expect(mapping.resequenced == (zeros > 0))
        #expect(mapping.rowOrder.sorted() == Array(0..<sample.weights.rows))
        #expect(mapping.outputOrder.sorted() == Array(0..<sample.weights.columns))
        // Slice columns of a weight are adjacent: group g's columns hold exactly output outputOrder[g].
        let layout = crossbar.layout
        for g in 0..<mapping.outputs {
            let j = mapping.outputOrder[g]
            for i in 0..<mapping.rows {
                let w = Int(sample.weights[mapping.rowOrder[i], j])
                var value = 0
                for k in 0..<layout.slices {
                    let base = g * layout.columnsPerWeight
                    let shift = k * sample.config.array.bitsPerCell
                    if sample.config.array.weightEncoding == .differential {
                        value += (Int(mapping.levels[i, base + 2 * k]) - Int(mapping.levels[i, base + 2 * k + 1])) << shift
                    } else {
                        value += Int(mapping.levels[i, base + k]) << shift
                    }
                }
                if sample.config.array.weightEncoding == .offset { value -= 1 << (sample.config.array.weightBits - 1) }
                #expect(value == w)
            }
        }
        // Rows are sorted by descending density.
        let density = (0..<mapping.rows).map { i in (0..<sample.weights.columns).filter { sample.weights[mapping.rowOrder[i], $0] != 0 }.count }
        if mapping.resequenced { #expect(density == density.sorted(by: >)) }
        let result = try FastEngine().run(crossbar, inputs: sample.inputs, context: ReadContext(seed: 0, firstVector: 0))
        #expect(result.outputs == sample.ideal)
    }

    /// 4. XNOR offset: R = 8 with 3 zero-flagged rows gives y = y_raw + 3.
    @Test func xnorCompensationHandCase() throws {
        var config = CrossbarConfig()
        config.array.rows = 16
        config.array.cols = 8
        config.array.weightBits = 1
        config.periphery.inputBits = 1
        config.periphery.inputEncoding = .unsigned
        config.periphery.adc.bits = 4
        config.periphery.adc.columnsPerADC = 8
        #expect(config.cellMode == .xnor)
        var xb = try Crossbar(config: config, id: testArray, temperature: 300)
        let w: [Int32] = [1, -1, 1, 1, -1, -1, 1, -1]
        try xb.program(weights: Matrix(rows: 8, columns: 1, storage: w), seed: 0)
        let x: [Int32] = [1, 0, -1, 0, 1, 0, -1, 1]
        // Active rows 0, 2, 4, 6, 7: products +1, -1, -1, -1, -1 -> y = -3; agreements P = 1.
        let y = try ReferenceEngine().run(xb, inputs: Matrix(rows: 1, columns: 8, storage: x), context: ReadContext(seed: 0, firstVector: 0))
        let raw = 2.0 * 1 - 8
        #expect(y.outputs[0, 0] == raw + 3)
        #expect(y.outputs[0, 0] == -3)
        #expect(y.cost.activity.compensatedColumns == 1)
    }

    /// 5. Monotonic energy: energy does not grow as sparsity grows above the threshold, and the ADC
    /// conversion count drops by exactly the statically disabled columns.
    @Test func energyFallsWithSparsityAndStaticColumnsSaveConversions() throws {
        var rng = RandomStream(seed: 4, purpose: .userInput)
        let weights = Matrix<Int32>(rows: 64, columns: 8) { _, j in j == 3 ? 0 : Int32(Int(rng.next() % 200) - 100) }
        let xb = try crossbar(rows: 64, threshold: 0.1, weights: weights)
        var previous = Double.infinity
        for zeros in stride(from: 8, through: 64, by: 8) {
            let x = Matrix<Int32>(rows: 1, columns: 64) { _, i in i < zeros ? 0 : 200 }
            let cost = try FastEngine().run(xb, inputs: x, context: ReadContext(seed: 0, firstVector: 0)).cost
            #expect(cost.ledger.energy <= previous)
            previous = cost.ledger.energy
        }
        // Static columns: the zero weight column 3 (all 8 of its columns) and the G- columns of the
        // weights that are all positive or all negative on some slice.
        let mapping = try #require(xb.mapping)
        let staticColumns = mapping.staticColumnDisabled.filter { $0 }.count
        #expect(staticColumns >= 8)
        let dense = Matrix<Int32>(rows: 1, columns: 64) { _, _ in 255 }
        let cost = try FastEngine().run(xb, inputs: dense, context: ReadContext(seed: 0, firstVector: 0)).cost
        #expect(cost.activity.adcConversions == (mapping.mappedColumns - staticColumns) * 8)
        #expect(cost.ungated.adcConversions - cost.activity.adcConversions == staticColumns * 8)
    }

    /// 6. Auto mode: 1-bit inputs with binary weights select XNOR; 4-bit inputs select AND.
    @Test func autoModeSelection() {
        var config = CrossbarConfig()
        config.array.weightBits = 1
        config.periphery.inputBits = 1
        config.periphery.dacBits = 1
        #expect(config.cellMode == .xnor)
        config.array.weightBits = 4
        config.periphery.inputBits = 4
        #expect(config.cellMode == .and)
    }

    /// 7. Resolution side effect: with disconnected cells the ADC step, and with it the quantization
    /// error bound, shrinks by N_conn / R.
    @Test func disconnectedCellsRefineTheADCStep() throws {
        let weights = Matrix<Int32>(rows: 64, columns: 1) { _, _ in 3 }
        func error(_ mode: DisabledCellMode) throws -> (Double, Double) {
            let xb = try crossbar(rows: 64, threshold: 0.2, weights: weights) { config in
                config.array.bitsPerCell = 2
                config.array.weightBits = 3       // one 2-bit slice per differential column
                config.periphery.inputBits = 1
                config.periphery.adc.bits = 4
                config.periphery.sparsity.disabledCells = mode
            }
            // 16 of 64 rows active: each column sums 16 * 3 = 48 of a full scale of 64 * 3 = 192.
            let x = Matrix<Int32>(rows: 1, columns: 64) { _, i in i < 16 ? 1 : 0 }
            let y = try ReferenceEngine().run(xb, inputs: x, context: ReadContext(seed: 0, firstVector: 0)).outputs[0, 0]
            let fullScale = Double((mode == .disconnected ? 16 : 64) * 3)
            return (abs(y - 48), fullScale / 15 / 2)
        }
        let (groundedError, groundedBound) = try error(.grounded)
        let (disconnectedError, disconnectedBound) = try error(.disconnected)
        #expect(groundedError <= groundedBound)
        #expect(disconnectedError <= disconnectedBound)
        #expect(disconnectedBound == groundedBound * 16 / 64)
        #expect(groundedError > disconnectedError)
    }

    /// An all-zero input skips the array: no conversions, only the detection cycle, output zero.
    @Test func allZeroInputSkipsTheArray() throws {
        let weights = Matrix<Int32>(rows: 16, columns: 4) { r, j in Int32(r - j) }
        let xb = try crossbar(rows: 16, threshold: 0.2, weights: weights)
        let x = Matrix<Int32>(rows: 1, columns: 16, repeating: 0)
        for engine in [ReferenceEngine() as any MVMEngine, FastEngine()] {
            let result = try engine.run(xb, inputs: x, context: ReadContext(seed: 0, firstVector: 0))
            #expect(result.outputs.storage.allSatisfy { $0 == 0 })
            #expect(result.cost.activity.passesSkipped == 1)
            #expect(result.cost.activity.adcConversions == 0)
            #expect(result.cost.activity.cycles == xb.config.periphery.timing.detectCycles)
        }
    }

    /// The cycle formula: phases x (drive + settle + ceil(active columns / ADCs) x ADC cycles) + shift-add.
    @Test func cyclesFollowTheFormula() throws {
        let weights = Matrix<Int32>(rows: 32, columns: 4) { r, j in Int32((r * 7 + j * 3) % 50 + 1) }
        let xb = try crossbar(rows: 32, threshold: 1, weights: weights) { config in
            config.periphery.sparsity.enabled = false
            config.periphery.adc.columnsPerADC = 16
        }
        let x = Matrix<Int32>(rows: 1, columns: 32) { _, i in Int32(i) }
        let cost = try FastEngine().run(xb, inputs: x, context: ReadContext(seed: 0, firstVector: 0)).cost
        let t = xb.config.scaledTiming
        let columns = 4 * 8
        let adcs = 64 / 16
        #expect(cost.activity.cycles == 8 * (t.driveCycles + t.settleCycles + (columns + adcs - 1) / adcs * t.adcCycles) + t.shiftAddCycles)
        #expect(cost.activity == cost.ungated)
        let e = xb.config.scaledEnergy
        #expect(abs(cost.ledger.energy(.adcConversion) - Double(columns * 8) * e.adcConversion.value) < 1e-20)
        #expect(abs(cost.ledger.energy(.wordlineDrive) - Double(32 * 8) * e.wordlineDrive.value) < 1e-20)
    }
}
