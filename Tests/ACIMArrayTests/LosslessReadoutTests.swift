import ACIMCore
import CKernels
import Testing
@testable import ACIMArray

/// The FastEngine's combined rows for phases whose ADC loses nothing (`LosslessReadout`).
@Suite struct LosslessReadoutTests {
    /// A 16-row array of 2-bit cells with a 4-bit ADC whose range follows the connected rows: a row of `c`
    /// connected cells has a full scale of 3c unit products over 15 codes, a step of c/5. Steps finer than
    /// one unit product (c at most 4) give back every sum 0 ... 3c; from c = 5 on a code stands for a whole
    /// unit or more and sums round together.
    static func smallArray(granularity: GatingGranularity) -> CrossbarConfig {
        var config = CrossbarConfig()
        config.array.rows = 16
        config.array.cols = 32
        config.array.bitsPerCell = 2
        config.array.weightBits = 8
        config.periphery.inputBits = 4
        config.periphery.dacBits = 1
        config.periphery.inputEncoding = .unsigned
        config.periphery.adc.bits = 4
        config.periphery.sparsity.enabled = true
        config.periphery.sparsity.inputThreshold = .fixed(0)
        config.periphery.sparsity.granularity = granularity
        config.periphery.sparsity.disabledCells = .disconnected
        return config
    }

    static func programmed(_ config: CrossbarConfig) throws -> Crossbar {
        var rng = RandomStream(seed: 21, purpose: .userInput)
        let weights = Matrix<Int32>(rows: 16, columns: 3) { _, _ in Int32(Int(rng.next() % 255) - 127) }
        var crossbar = try Crossbar(config: config, id: testArray, temperature: 300)
        try crossbar.program(weights: weights, seed: 4)
        return crossbar
    }

    /// The check over every sum equals its definition, `ADC.convert` giving every whole sum back, for ADCs
    /// of 1 to 10 bits, unipolar and bipolar, at full scales on both sides of one unit per code step
    /// (steps just below 1 included, where rounding first fails), and at ranges that clip.
    /// Runs `vectors` on the small array with `granularity` gating on both engines, expects the same outputs
    /// and counts, and returns the shapes of the GEMMs the FastEngine ran and its activity.
    static func agreement(granularity: GatingGranularity, _ vectors: [[Int32]]) throws
        -> (shapes: [GEMMLog.Shape], activity: MVMActivity) {
        let crossbar = try programmed(smallArray(granularity: granularity))
        let inputs = Matrix(rows: vectors.count, columns: 16) { vectors[$0][$1] }
        let log = GEMMLog()
        let context = ReadContext(seed: 1, firstVector: 0)
        let fast = try FastEngine(threads: 1, gemmLog: log).run(crossbar, inputs: inputs, context: context)
        let reference = try ReferenceEngine().run(crossbar, inputs: inputs, context: context)
        #expect(fast.outputs == reference.outputs)
        #expect(fast.cost.activity == reference.cost.activity)
        #expect(fast.cost.ungated == reference.cost.ungated)
        return (log.shapes, fast.cost.activity)
    }

    @Test func losslessCheckEqualsItsDefinition() {
        var rng = RandomStream(seed: 17, purpose: .userInput)
        var (lossless, lossy) = (0, 0)
        for trial in 0..<400 {
            let adc = ADC(bits: 1 + Int(rng.next() % 10), bipolar: trial % 3 == 0)
            let fullScale = Float(adc.topCode) * Float(0.2 + 1.0 * rng.nextUniform())
            let largest = Int(Double(fullScale) * (0.5 + rng.nextUniform()))
            let scale = ADC.Scale(adc, fullScale: fullScale)
            let expected = scale.step < 1 && (0...largest).allSatisfy { adc.convert(Float($0), fullScale: fullScale) == Double($0) }
            let checked = acim_adc_is_lossless(scale.factor, scale.step, adc.topCode, adc.bottomCode, Int64(largest)) != 0
            #expect(checked == expected, "trial \(trial): \(adc.bits) bits, full scale \(fullScale), sums up to \(largest)")
            if expected { lossless += 1 } else { lossy += 1 }
        }
        #expect(lossless > 50 && lossy > 50)
    }

    /// Combined digits equal the digits of each phase shifted to it and summed.
    @Test func combinedPlanesEqualTheirDefinition() {
        var rng = RandomStream(seed: 19, purpose: .userInput)
        for _ in 0..<100 {
            let (count, digitBits) = (1 + Int(rng.next() % 8), 1 + Int(rng.next() % 3))
            let phases = min(count, 8 / digitBits)
            let lines = 1 + Int(rng.next() % 300), stride = lines + Int(rng.next() % 5)
            let digits = (0..<(phases * stride)).map { _ in UInt8(rng.next() % UInt64(1 << digitBits)) }
            var combined = [UInt8](repeating: 7, count: lines)
            acim_combine_planes(digits, Int64(stride), Int32(phases), Int32(digitBits), Int64(lines), &combined)
            let expected = (0..<lines).map { i in
                (0..<phases).reduce(0) { $0 + Int(digits[$1 * stride + i]) << ($1 * digitBits) }
            }
            #expect(combined.map(Int.init) == expected)
        }
    }

    @Test(.enabled(if: IntegerGEMM.status.isOn, "the shortcut runs on the integer GEMM"))
    func losslessScalesAreTheStepsFinerThanOneUnit() throws {
        let crossbar = try Self.programmed(Self.smallArray(granularity: .row))
        let (mapping, readout) = try crossbar.programmedState()
        let lossless = try #require(crossbar.prepared(mapping: mapping, readout: readout).lossless)
        #expect(lossless.lossless == (0...16).map { (1...4).contains($0) })
        // 8-bit weights (7-bit magnitudes) in 2-bit cells: four slices, the first three in one piece (up to
        // 3 + 12 + 48 = 63), the fourth in another.
        #expect(lossless.pieceWeights == [1, 64])
        #expect(lossless.weights.columns == 2 * 3)
    }

    /// Row gating: a vector with at most four non-zero inputs is one combined row for all its phases; any
    /// other keeps a row per phase. The outputs and counts equal the ReferenceEngine's bit for bit.
    @Test(.enabled(if: IntegerGEMM.status.isOn, "the shortcut runs on the integer GEMM"))
    func sparseVectorsTakeOneCombinedRow() throws {
        let (shapes, _) = try Self.agreement(granularity: .row, [
            [15, 0, 3, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0],        // 4 non-zero: combined
            [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 1],   // dense: not gated, 16 connected
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7],         // 1 non-zero: combined
            [5, 5, 5, 5, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],         // 5 non-zero: step 1, bit-serial
        ])
        // The combined GEMM (two pieces of three groups) has the two sparse vectors; the bit-plane GEMM has
        // the four phases of the dense vector (not gated, every phase runs) and the two phases in which the
        // fives have a digit.
        #expect(shapes.contains(GEMMLog.Shape(m: 2, n: 6, k: 16, integer: true)))
        #expect(shapes.contains { $0.m == 6 && $0.k == 16 && $0.n != 6 })
        #expect(shapes.count == 2)
    }

    /// Bit-plane gating: connected rows differ by phase, so only the phases before the first lossy one are
    /// combined; the later ones (lossless or not) keep their rows and are added after the combined row.
    @Test(.enabled(if: IntegerGEMM.status.isOn, "the shortcut runs on the integer GEMM"))
    func onlyALosslessPrefixOfPhasesIsCombined() throws {
        // Phase 0 (bit 0): 2 ones; phase 1: 9 ones (lossy); phase 2: none (does not run); phase 3: 1 one.
        let (shapes, _) = try Self.agreement(granularity: .bitPlane, [[3, 1, 2, 2, 2, 2, 2, 2, 2, 2, 8, 0, 0, 0, 0, 0]])
        #expect(shapes.contains(GEMMLog.Shape(m: 1, n: 6, k: 16, integer: true)))
        #expect(shapes.contains { $0.m == 2 && $0.n != 6 })
    }

    /// A phase that does not run (no digit) inside the lossless prefix is part of it: phases 0 to 2 form the
    /// combined row, and the lossy phase 3 keeps its own.
    @Test(.enabled(if: IntegerGEMM.status.isOn, "the shortcut runs on the integer GEMM"))
    func phasesThatDoNotRunStayInThePrefix() throws {
        // Phase 0: 2 ones; phase 1: none; phase 2: 1 one; phase 3: 9 ones (lossy).
        let (shapes, activity) = try Self.agreement(granularity: .bitPlane, [[1, 1, 4, 8, 8, 8, 8, 8, 8, 8, 8, 8, 0, 0, 0, 0]])
        #expect(activity.phasesRun == 3)
        #expect(shapes.map(\.m) == [1, 1])
        #expect(shapes.contains(GEMMLog.Shape(m: 1, n: 6, k: 16, integer: true)))
    }

    /// Where the shortcut does not apply, the array has no lossless read-out, though the same array without
    /// the obstacle has one: read noise, analog differential pairs (without gating, one 8-bit scale),
    /// sign-magnitude digits, disabled zero-level cells.
    @Test(.enabled(if: IntegerGEMM.status.isOn, "the shortcut runs on the integer GEMM"))
    func noShortcutWhereItDoesNotApply() throws {
        let gated = Self.smallArray(granularity: .row)
        var ungated = gated
        ungated.periphery.sparsity.enabled = false
        ungated.periphery.adc.bits = 8
        let cases: [(String, CrossbarConfig, (inout CrossbarConfig) -> Void)] = [
            ("read noise", gated, { $0.device.readNoise = Quantity(0.4e-6) }),
            ("analog pairs", ungated, { $0.periphery.differentialReadout = .analog }),
            ("sign-magnitude", gated, { $0.periphery.inputEncoding = .signMagnitude }),
            ("zero-level cells disabled", gated, { $0.periphery.sparsity.disableZeroWeightCells = true }),
        ]
        func lossless(_ config: CrossbarConfig) throws -> LosslessReadout? {
            let crossbar = try Self.programmed(config)
            let (mapping, readout) = try crossbar.programmedState()
            return crossbar.prepared(mapping: mapping, readout: readout).lossless
        }
        for (name, base, obstacle) in cases {
            var config = base
            obstacle(&config)
            #expect(try lossless(base) != nil, "\(name): without it")
            #expect(try lossless(config) == nil, "\(name)")
        }
    }

    /// On random arrays (shapes, bits, encodings, gating, ADCs), over one chunk of vectors and several,
    /// combining lossless phases changes nothing: outputs and counts equal those of one row per phase and the
    /// ReferenceEngine's, bit for bit; and the shortcut is taken in a good share of the cases, with fewer
    /// multiply-adds.
    @Test func combinedRowsEqualOneRowPerPhase() throws {
        var combinedCases = 0
        for seed in 0..<160 {
            var sample = RandomCase.make(seed: UInt64(9000 + seed), xnor: seed % 7 == 0)
            if seed % 4 == 0 {
                // Several chunks of vectors.
                var rng = RandomStream(seed: UInt64(seed), purpose: .userInput)
                let original = sample.inputs
                sample.inputs = Matrix(rows: 70, columns: original.columns) { _, c in
                    original[Int(rng.next() % UInt64(original.rows)), c]
                }
            }
            let crossbar = try sample.programmed()
            let context = ReadContext(seed: 5, firstVector: 3)
            let (combinedLog, plainLog) = (GEMMLog(), GEMMLog())
            let combined = try FastEngine(gemmLog: combinedLog).run(crossbar, inputs: sample.inputs, context: context)
            let plain = try FastEngine(combinesLosslessPhases: false, gemmLog: plainLog)
                .run(crossbar, inputs: sample.inputs, context: context)
            let reference = try ReferenceEngine().run(crossbar, inputs: sample.inputs, context: context)
            #expect(combined.outputs == plain.outputs, "seed \(seed)")
            #expect(combined.outputs == reference.outputs, "seed \(seed)")
            #expect(combined.cost.activity == plain.cost.activity, "seed \(seed)")
            #expect(combined.cost.ungated == plain.cost.ungated, "seed \(seed)")
            func work(_ log: GEMMLog) -> Int { log.shapes.reduce(0) { $0 + $1.m * $1.n * $1.k } }
            #expect(work(combinedLog) <= work(plainLog), "seed \(seed)")
            if work(combinedLog) < work(plainLog) { combinedCases += 1 }
        }
        if IntegerGEMM.status.isOn { #expect(combinedCases >= 30) }
    }
}
