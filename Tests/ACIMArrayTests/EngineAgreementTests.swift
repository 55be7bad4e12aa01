import ACIMCore
import Testing
@testable import ACIMArray

@Suite struct EngineAgreementTests {
    /// With noise off both engines give the same outputs bit for bit, and count the
    /// same events, on random shapes, bits, slicing, encodings, sparsity and gating.
    @Test(arguments: 0..<300)
    func fastEqualsReferenceNoiseFree(seed: Int) throws {
        let sample = RandomCase.make(seed: UInt64(seed), xnor: seed % 5 == 0)
        try #require(sample.config.validate().isEmpty, "\(sample.config.validate())")
        let crossbar = try sample.programmed()
        let context = ReadContext(seed: 3, firstVector: 0)
        let reference = try ReferenceEngine().run(crossbar, inputs: sample.inputs, context: context)
        let fast = try FastEngine().run(crossbar, inputs: sample.inputs, context: context)
        #expect(fast.outputs == reference.outputs)
        #expect(fast.cost.activity == reference.cost.activity)
        #expect(fast.cost.ungated == reference.cost.ungated)
    }

    /// With read and programming noise on, the engines draw the same noise sample per column and phase;
    /// only float summation order differs, so outputs agree to within one ADC step of rounding ties.
    @Test(arguments: 0..<40)
    func fastMatchesReferenceWithNoise(seed: Int) throws {
        var sample = RandomCase.make(seed: UInt64(1000 + seed))
        sample.config.device.programmingNoise = Quantity(0.3e-6)
        sample.config.device.readNoise = Quantity(0.5e-6)
        let crossbar = try sample.programmed()
        let context = ReadContext(seed: 11, firstVector: 5)
        let reference = try ReferenceEngine().run(crossbar, inputs: sample.inputs, context: context)
        let fast = try FastEngine().run(crossbar, inputs: sample.inputs, context: context)
        var equal = 0
        for (a, b) in zip(fast.outputs.storage, reference.outputs.storage) where a == b { equal += 1 }
        #expect(Double(equal) >= 0.9 * Double(fast.outputs.storage.count))
        #expect(fast.cost.activity == reference.cost.activity)
    }

    /// The integer GEMM path and the sgemm path give the same outputs and counts bit for bit, with and
    /// without read noise, over one and several chunks; wherever the levels are integers within the exact
    /// ranges, the integer path is the one the engine takes.
    @Test(arguments: 0..<120)
    func integerPathEqualsSgemmPath(seed: Int) throws {
        var sample = RandomCase.make(seed: UInt64(5000 + seed), xnor: seed % 5 == 0)
        if seed % 3 == 0 { sample.config.device.readNoise = Quantity(0.4e-6) }
        if seed % 4 == 0 {
            // Several chunks of vectors.
            var rng = RandomStream(seed: UInt64(seed), purpose: .userInput)
            let original = sample.inputs
            sample.inputs = Matrix(rows: 70, columns: original.columns) { _, c in original[Int(rng.next() % UInt64(original.rows)), c] }
        }
        let crossbar = try sample.programmed()
        let context = ReadContext(seed: 3, firstVector: 2)
        let integer = try FastEngine(integerGEMM: true).run(crossbar, inputs: sample.inputs, context: context)
        let float = try FastEngine(integerGEMM: false).run(crossbar, inputs: sample.inputs, context: context)
        #expect(integer.outputs == float.outputs)
        #expect(integer.cost.activity == float.cost.activity)
        if IntegerGEMM.status.isOn {
            let (mapping, readout) = try crossbar.programmedState()
            let layout = CrossbarLayout(config: sample.config)
            let squares = SparsityGate(config: sample.config, mapping: mapping).disablesZeroCells
            let exact = !squares || layout.mode == .xnor || layout.maxDigit * layout.maxDigit <= 255
            #expect((crossbar.prepared(mapping: mapping, readout: readout).packed != nil) == exact)
        }
    }

    /// Determinism: the same seed gives bit-identical results whatever the BLAS thread count.
    @Test func bitIdenticalAcrossThreadCounts() throws {
        var config = CrossbarConfig()
        config.device.programmingNoise = Quantity(0.3e-6)
        config.device.readNoise = Quantity(0.4e-6)
        var crossbar = try Crossbar(config: config, id: testArray, temperature: 300)
        var rng = RandomStream(seed: 5, purpose: .userInput)
        let weights = Matrix<Int32>(rows: 256, columns: 32) { _, _ in Int32(Int(rng.next() % 255) - 127) }
        let inputs = Matrix<Int32>(rows: 32, columns: 256) { _, _ in Int32(Int(rng.next() % 255) - 127) }
        try crossbar.program(weights: weights, seed: 9)
        let saved = BLAS.threadCount
        defer { BLAS.threadCount = saved }
        BLAS.threadCount = 1
        let one = try FastEngine().run(crossbar, inputs: inputs, context: ReadContext(seed: 1, firstVector: 0))
        BLAS.threadCount = 2
        let two = try FastEngine().run(crossbar, inputs: inputs, context: ReadContext(seed: 1, firstVector: 0))
        #expect(one.outputs == two.outputs)
        let again = try FastEngine().run(crossbar, inputs: inputs, context: ReadContext(seed: 1, firstVector: 0))
        #expect(again.outputs == two.outputs)
        let other = try FastEngine().run(crossbar, inputs: inputs, context: ReadContext(seed: 2, firstVector: 0))
        #expect(other.outputs != two.outputs)
    }
}
