import ACIMCore
import Testing
@testable import ACIMArray

/// A random array with random input, conversion and differential schemes, valid by construction.
struct SchemeCase {
    var config: CrossbarConfig
    var weights: Matrix<Int32>
    var inputs: Matrix<Int32>

    static func make(seed: UInt64) -> SchemeCase {
        var rng = RandomStream(seed: seed, purpose: .userInput)
        func pick<T>(_ options: [T]) -> T { options[Int(rng.next() % UInt64(options.count))] }
        func uniform(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(rng.next() % UInt64(range.count)) }

        var c = CrossbarConfig()
        c.array.rows = pick([8, 16, 40, 64])
        c.array.cols = pick([16, 32, 48])
        c.array.bitsPerCell = uniform(1...4)
        c.array.weightBits = uniform(2...8)
        c.array.weightEncoding = pick(WeightEncoding.allCases)
        let p = c.periphery
        c.periphery.inputEncoding = pick(InputEncoding.allCases)
        c.periphery.inputBits = uniform(2...8)
        c.periphery.dacBits = uniform(1...c.periphery.inputBits)
        c.periphery.inputDrive = pick(InputDrive.allCases)
        c.periphery.conversion = c.periphery.inputDrive == .pwm ? .perMVM : pick(ConversionPoint.allCases)
        c.periphery.pwmWindow = pick(PWMWindow.allCases)
        c.periphery.timing.pwmStepCycles = uniform(1...3)
        if c.array.weightEncoding == .differential {
            c.periphery.differentialReadout = pick(DifferentialReadout.allCases)
            if c.periphery.differentialReadout == .analog { c.array.differentialCell = pick(DifferentialCell.allCases) }
        }
        let gatingAllowed = c.periphery.inputDrive != .pwm && c.periphery.differentialReadout == .digital
        c.periphery.sparsity.enabled = gatingAllowed && pick([true, false])
        c.periphery.sparsity.inputThreshold = pick([.fixed(0), .fixed(0.3), p.sparsity.inputThreshold])
        c.periphery.sparsity.granularity = pick(GatingGranularity.allCases)
        c.periphery.sparsity.disabledCells = pick(DisabledCellMode.allCases)
        c.periphery.sparsity.disableZeroWeightCells = pick([false, true])
        c.periphery.adc.columnsPerADC = pick([1, 2, 4].filter { c.array.cols % $0 == 0 })
        c.periphery.adc.bits = uniform(2...12)
        while CrossbarLayout(config: c).weightCapacity < 1 { c.array.cols *= 2 }

        let layout = CrossbarLayout(config: c)
        let rows = uniform(1...layout.logicalRows)
        let outputs = uniform(1...min(layout.weightCapacity, 10))
        let weightRange = WeightMapping.codeRange(config: c, layout: layout)
        let weights = Matrix<Int32>(rows: rows, columns: outputs) { _, _ in
            rng.nextUniform() < 0.2 ? 0 : Int32(uniform(weightRange))
        }
        let bits = c.periphery.inputBits
        let half = 1 << (bits - 1)
        let inputRange: ClosedRange<Int> = switch c.periphery.inputEncoding {
        case .unsigned: 0...((1 << bits) - 1)
        case .twoPass, .signMagnitude: -(half - 1)...(half - 1)
        case .offset: -half...(half - 1)
        }
        let zeros = Double(uniform(0...60)) / 100
        let inputs = Matrix<Int32>(rows: uniform(1...40), columns: rows) { _, _ in
            rng.nextUniform() < zeros ? 0 : Int32(uniform(inputRange))
        }
        return SchemeCase(config: c, weights: weights, inputs: inputs)
    }

    func programmed() throws -> Crossbar {
        var crossbar = try Crossbar(config: config, id: testArray, temperature: 300)
        try crossbar.program(weights: weights, seed: 7)
        return crossbar
    }
}

/// One array with every weight and input given, noise off.
private func run(_ config: CrossbarConfig, weights: Matrix<Int32>, inputs: Matrix<Int32>,
                 engine: any MVMEngine = FastEngine()) throws -> MVMResult {
    var crossbar = try Crossbar(config: config, id: testArray, temperature: 300)
    try crossbar.program(weights: weights, seed: 1)
    return try engine.run(crossbar, inputs: inputs, context: ReadContext(seed: 1, firstVector: 0))
}

/// The exact product of inputs and weights.
private func ideal(_ inputs: Matrix<Int32>, _ weights: Matrix<Int32>) -> Matrix<Double> {
    Matrix(rows: inputs.rows, columns: weights.columns) { b, j in
        (0..<weights.rows).reduce(0.0) { $0 + Double(inputs[b, $1]) * Double(weights[$1, j]) }
    }
}

/// 64 rows of 4-bit-cell, 5-bit differential weights and 8-bit inputs, noise off, sparsity off, an ADC fine
/// enough for every sum to be exact.
private func baseConfig() -> CrossbarConfig {
    var c = CrossbarConfig()
    c.array.rows = 64
    c.array.cols = 32
    c.array.bitsPerCell = 4
    c.array.weightBits = 5
    c.periphery.inputBits = 8
    c.periphery.dacBits = 1
    c.periphery.sparsity.enabled = false
    c.periphery.adc.bits = 16
    c.periphery.adc.columnsPerADC = 1
    return c
}

/// HERMES's schemes on `baseConfig`: sign-magnitude pulse-width inputs converted once per MVM, differential
/// unit cells read out in the analog domain, an 8-bit ADC.
private func hermesLike(rows: Int, cols: Int) -> CrossbarConfig {
    var c = baseConfig()
    c.array.rows = rows
    c.array.cols = cols
    c.array.differentialCell = .unitCell
    c.periphery.differentialReadout = .analog
    c.periphery.inputEncoding = .signMagnitude
    c.periphery.inputDrive = .pwm
    c.periphery.conversion = .perMVM
    c.periphery.adc.bits = 8
    return c
}

private func randomOperands(rows: Int, outputs: Int, vectors: Int, inputs range: ClosedRange<Int>, seed: UInt64)
    -> (Matrix<Int32>, Matrix<Int32>) {
    var rng = RandomStream(seed: seed, purpose: .userInput)
    let weights = Matrix<Int32>(rows: rows, columns: outputs) { _, _ in Int32(Int(rng.next() % 31) - 15) }
    let inputs = Matrix<Int32>(rows: vectors, columns: rows) { _, _ in
        Int32(range.lowerBound + Int(rng.next() % UInt64(range.count)))
    }
    return (weights, inputs)
}

@Suite struct InputSchemeTests {
    /// Every scheme and combination: the reference engine and the fast engine (integer GEMM and sgemm)
    /// give the same outputs and count the same events, bit for bit, with noise off.
    @Test(arguments: 0..<200)
    func enginesAgree(seed: Int) throws {
        let sample = SchemeCase.make(seed: UInt64(seed))
        try #require(sample.config.validate().isEmpty, "\(sample.config.validate())")
        let crossbar = try sample.programmed()
        let context = ReadContext(seed: 3, firstVector: 0)
        let reference = try ReferenceEngine().run(crossbar, inputs: sample.inputs, context: context)
        let integer = try FastEngine(integerGEMM: true).run(crossbar, inputs: sample.inputs, context: context)
        let float = try FastEngine(integerGEMM: false).run(crossbar, inputs: sample.inputs, context: context)
        #expect(integer.outputs == reference.outputs)
        #expect(float.outputs == reference.outputs)
        #expect(integer.cost.activity == reference.cost.activity)
        #expect(float.cost.activity == reference.cost.activity)
        #expect(integer.cost.ungated == reference.cost.ungated)
        if IntegerGEMM.status.isOn {
            // Noise-free integer levels: the integer path runs, signed digits included, but where squared
            // digits exceed a byte.
            let (mapping, readout) = try crossbar.programmedState()
            let layout = crossbar.layout
            let squares = SparsityGate(config: sample.config, mapping: mapping).disablesZeroCells
            let exact = !squares || layout.maxDigit * layout.maxDigit <= 255
            #expect((crossbar.prepared(mapping: mapping, readout: readout).packed != nil) == exact)
        }
    }

    /// With read noise the engines draw the same sample per conversion: the counts agree exactly and
    /// nearly every output bit for bit.
    @Test(arguments: 0..<30)
    func enginesAgreeWithNoise(seed: Int) throws {
        var sample = SchemeCase.make(seed: UInt64(500 + seed))
        sample.config.device.readNoise = Quantity(0.4e-6)
        let crossbar = try sample.programmed()
        let context = ReadContext(seed: 5, firstVector: 1)
        let reference = try ReferenceEngine().run(crossbar, inputs: sample.inputs, context: context)
        let fast = try FastEngine().run(crossbar, inputs: sample.inputs, context: context)
        let equal = zip(fast.outputs.storage, reference.outputs.storage).count { $0 == $1 }
        #expect(Double(equal) >= 0.9 * Double(fast.outputs.storage.count))
        #expect(fast.cost.activity == reference.cost.activity)
    }

    /// Sign-magnitude inputs take the magnitude's 7 bit planes in one pass: exactly the product, with half
    /// the phases, conversions and cycles of two passes.
    @Test func signMagnitudeHalvesTwoPass() throws {
        var c = baseConfig()
        let (weights, inputs) = randomOperands(rows: 64, outputs: 16, vectors: 3, inputs: -127...127, seed: 1)
        c.periphery.inputEncoding = .twoPass
        let twoPass = try run(c, weights: weights, inputs: inputs)
        c.periphery.inputEncoding = .signMagnitude
        let signMagnitude = try run(c, weights: weights, inputs: inputs)
        #expect(signMagnitude.outputs == ideal(inputs, weights))
        #expect(twoPass.outputs == signMagnitude.outputs)
        let (a, b) = (signMagnitude.cost.activity, twoPass.cost.activity)
        // 3 vectors x 7 planes x 32 columns.
        #expect(a.adcConversions == 3 * 7 * 32)
        #expect(b.adcConversions == 2 * a.adcConversions)
        #expect(a.passes == 3 && b.passes == 6)
        #expect(a.phasesRun == 21 && b.phasesRun == 42)
        // Per plane drive 1 + settle 1 + 32 conversions on 32 ADCs of 8 cycles (SAR, 16 bits); shift-add 1.
        #expect(a.cycles == 3 * (7 * (1 + 1 + 8) + 1))
        #expect(b.cycles == 2 * a.cycles)
    }

    /// The ADC of sign-magnitude inputs is bipolar: one bit of sign, and the negative sums it clips.
    @Test func signMagnitudeBipolarADC() throws {
        var c = baseConfig()
        c.array.rows = 4
        c.array.cols = 2
        c.periphery.inputBits = 2
        c.periphery.inputEncoding = .signMagnitude
        // Full scale 4 rows x digit 1 x level 15 = 60; 3 bits: codes -3 ... 3, 20 per code.
        c.periphery.adc.bits = 3
        let weights = Matrix<Int32>(rows: 4, columns: 1, storage: [15, 15, 15, 15])
        let inputs = Matrix<Int32>(rows: 2, columns: 4, storage: [-1, -1, -1, 0, 1, 1, 0, 0])
        let result = try run(c, weights: weights, inputs: inputs)
        // -45 is code -2 (-40); 30 is code 2 (rounding 1.5 to even), 40.
        #expect(result.outputs.storage == [-40, 40])
    }

    /// Analog differential read-out subtracts G+ and G- on the bit lines: exactly the product with half the
    /// conversions of the digital read-out, and the same cell reads.
    @Test func analogDifferentialHalvesConversions() throws {
        var c = baseConfig()
        let (weights, inputs) = randomOperands(rows: 64, outputs: 16, vectors: 2, inputs: 0...255, seed: 2)
        c.periphery.inputEncoding = .unsigned
        let digital = try run(c, weights: weights, inputs: inputs)
        c.periphery.differentialReadout = .analog
        let analog = try run(c, weights: weights, inputs: inputs)
        #expect(analog.outputs == ideal(inputs, weights))
        #expect(analog.cost.activity.adcConversions * 2 == digital.cost.activity.adcConversions)
        #expect(analog.cost.activity.adcConversions == 2 * 8 * 16)
        #expect(analog.cost.activity.cellReads == digital.cost.activity.cellReads)
        // 16 conversions per plane on 32 ADCs: one round either way.
        #expect(analog.cost.activity.cycles == digital.cost.activity.cycles)
    }

    /// An analog pair's signed sum clips at the bipolar ADC's full scale where the digital read-out's
    /// separate columns each stay in range.
    @Test func analogDifferentialClipsTheDifference() throws {
        var c = baseConfig()
        c.array.rows = 2
        c.array.cols = 2
        c.periphery.inputBits = 1
        c.periphery.inputEncoding = .unsigned
        c.periphery.differentialReadout = .analog
        // Full scale 2 x 1 x 15 = 30; 2 bits: codes -1 ... 1, 30 per code.
        c.periphery.adc.bits = 2
        let weights = Matrix<Int32>(rows: 2, columns: 1, storage: [-15, -5])
        let inputs = Matrix<Int32>(rows: 2, columns: 2, storage: [1, 1, 0, 1])
        let result = try run(c, weights: weights, inputs: inputs)
        // -20 rounds to code -1 (-30); -5 to code 0.
        #expect(result.outputs.storage == [-30, 0])
    }

    /// One conversion per MVM accumulates the bit planes on the bit lines: one conversion per column and
    /// pass, the planes' drives and settles before it, and the full sum's range at the ADC.
    @Test func perMVMConversion() throws {
        var c = baseConfig()
        c.array.rows = 16
        let (weights, inputs) = randomOperands(rows: 16, outputs: 16, vectors: 2, inputs: -127...127, seed: 3)
        c.periphery.inputEncoding = .signMagnitude
        c.periphery.conversion = .perMVM
        // Full scale 16 rows x 127 x 15 = 30480: a 16-bit bipolar ADC (step < 1) is exact.
        let exact = try run(c, weights: weights, inputs: inputs)
        #expect(exact.outputs == ideal(inputs, weights))
        let a = exact.cost.activity
        #expect(a.adcConversions == 2 * 32)
        #expect(a.phasesRun == 2)
        #expect(a.wordlineDrives == 2 * 16 * 7)
        // 7 planes of drive 1 + settle 1, then 32 columns on 32 ADCs of 8 cycles, then the shift-add.
        #expect(a.cycles == 2 * (7 * 2 + 8 + 1))
        // An 8-bit ADC quantizes the full sum: steps of 30480 / 127 = 240.
        c.periphery.adc.bits = 8
        let coarse = try run(c, weights: weights, inputs: inputs)
        let reference = try run(c, weights: weights, inputs: inputs, engine: ReferenceEngine())
        #expect(coarse.outputs == reference.outputs)
        #expect(coarse.outputs != exact.outputs)
        for (x, y) in zip(coarse.outputs.storage, exact.outputs.storage) {
            #expect(abs(x - y) <= 2 * 240 / 2 + 1)
        }
    }

    /// A pulse-width input integrates once: the window is 2^7 - 1 steps (or the longest pulse), and word-line
    /// and cell-read events follow the pulse steps.
    @Test func pulseWidthTimingAndEnergy() throws {
        var c = hermesLike(rows: 4, cols: 4)
        c.array.differentialCell = .columns
        c.periphery.adc.bits = 16
        c.periphery.timing.pwmStepCycles = 2
        let weights = Matrix<Int32>(rows: 4, columns: 2, storage: [1, -2, 3, 4, -5, 6, 7, -8])
        let inputs = Matrix<Int32>(rows: 1, columns: 4, storage: [10, -20, 0, 5])
        let full = try run(c, weights: weights, inputs: inputs)
        #expect(full.outputs == ideal(inputs, weights))
        let a = full.cost.activity
        #expect(a.adcConversions == 2)
        #expect(a.wordlineDrives == 35)
        // Word-line energy follows the pulse length: 35 steps of the default 0.05 pJ.
        #expect(full.cost.ledger.energy(.wordlineDrive) == 35 * 0.05e-12)
        // 35 steps on each of the 4 bit lines (2 pairs).
        #expect(a.cellReads == 4 * 35)
        // Drive 1 + 127 steps x 2 cycles + settle 1 + one round of 8 cycles + shift-add 1.
        #expect(a.cycles == 1 + 254 + 1 + 8 + 1)
        c.periphery.pwmWindow = .longestPulse
        let longest = try run(c, weights: weights, inputs: inputs)
        #expect(longest.cost.activity.cycles == 1 + 40 + 1 + 8 + 1)
        #expect(longest.outputs == full.outputs)
    }

    /// Differential unit cells hold one signed weight per output column: a 256 x 256 core of 4-bit cells
    /// holds 256 5-bit weights per row and converts 256 outputs on 256 ADCs in one round.
    @Test func unitCellsHoldOneWeightPerColumn() throws {
        var c = hermesLike(rows: 256, cols: 256)
        let layout = CrossbarLayout(config: c)
        #expect(layout.weightCapacity == 256)
        #expect(layout.deviceColumns == 512)
        #expect(layout.adcCount == 256)
        let (weights, inputs) = randomOperands(rows: 256, outputs: 256, vectors: 1, inputs: -127...127, seed: 4)
        let result = try run(c, weights: weights, inputs: inputs)
        let reference = try run(c, weights: weights, inputs: inputs, engine: ReferenceEngine())
        #expect(result.outputs == reference.outputs)
        #expect(result.cost.activity == reference.cost.activity)
        #expect(result.cost.activity.adcConversions == 256)
        #expect(result.cost.activity.cycles == 1 + 127 + 1 + 4 + 1)
        // Full scale 256 rows x 127 x 15: the 8-bit bipolar ADC's step of 3840 quantizes every output.
        for (x, y) in zip(result.outputs.storage, ideal(inputs, weights).storage) {
            #expect(abs(x - y) <= 3840 / 2)
        }
        c.array.differentialCell = .columns
        #expect(CrossbarLayout(config: c).weightCapacity == 128)
    }

    /// Combinations the schemes do not support are refused at the key to change, saying what is expected.
    @Test func invalidCombinationsAreRefused() {
        func issue(_ change: (inout CrossbarConfig) -> Void) -> ConfigIssue? {
            var c = baseConfig()
            change(&c)
            return c.validate().first
        }
        let pwm = issue { $0.periphery.inputDrive = .pwm }
        #expect(pwm?.path == ["periphery", "conversion"])
        #expect(pwm?.message.contains("per_mvm") == true)
        let offset = issue {
            $0.array.weightEncoding = .offset
            $0.periphery.differentialReadout = .analog
        }
        #expect(offset?.path == ["periphery", "differential_readout"])
        let cell = issue { $0.array.differentialCell = .unitCell }
        #expect(cell?.path == ["array", "differential_cell"])
        let gating = issue {
            $0.periphery.differentialReadout = .analog
            $0.periphery.sparsity.enabled = true
        }
        #expect(gating?.path == ["periphery", "sparsity", "enabled"])
        let wide = issue {
            $0.periphery.inputBits = 9
            $0.periphery.conversion = .perMVM
            $0.periphery.inputEncoding = .unsigned
        }
        #expect(wide?.path == ["periphery", "input_bits"])
        let adc = issue {
            $0.periphery.inputEncoding = .signMagnitude
            $0.periphery.adc.bits = 1
        }
        #expect(adc?.path == ["periphery", "adc", "bits"])
    }
}
