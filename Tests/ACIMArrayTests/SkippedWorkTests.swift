import ACIMCore
import Testing
@testable import ACIMArray

/// The FastEngine multiplies only the (vector, phase) rows that run: skipped phases and passes are left out
/// of its GEMMs, and no result may tell.
@Suite struct SkippedWorkTests {
    /// 40 vectors (two chunks) of 8-bit two-pass codes over `rows` rows: non-negative ones whose high bits
    /// are zero, all-zero ones, negative-only ones and full-range ones.
    static func inputs(rows: Int, seed: UInt64) -> Matrix<Int32> {
        var rng = RandomStream(seed: seed, purpose: .userInput)
        return Matrix(rows: 40, columns: rows) { b, _ in
            let zero = rng.nextUniform() < 0.5
            let value = Int32(rng.next() % 128)
            switch b % 5 {
            case 0: return 0
            case 1: return zero ? 0 : value % 8
            case 2: return zero ? 0 : -(value % 4)
            case 3: return zero ? 0 : value % 32
            default: return value - 64
            }
        }
    }

    /// Runs `inputs` (60 rows) on both engines on a 64x64 array with gating as given, expects the same
    /// outputs and counts, and returns the FastEngine's activity.
    static func agreement(gating: Bool, granularity: GatingGranularity, zeroCells: Bool = false,
                          _ inputs: Matrix<Int32>) throws -> MVMActivity {
        var config = CrossbarConfig()
        config.array.rows = 64
        config.array.cols = 64
        config.periphery.sparsity.enabled = gating
        config.periphery.sparsity.granularity = granularity
        config.periphery.sparsity.disableZeroWeightCells = zeroCells
        var rng = RandomStream(seed: 21, purpose: .userInput)
        let weights = Matrix<Int32>(rows: 60, columns: 8) { _, _ in
            rng.nextUniform() < 0.3 ? 0 : Int32(rng.next() % 255) - 127
        }
        var crossbar = try Crossbar(config: config, id: testArray, temperature: 300)
        try crossbar.program(weights: weights, seed: 2)
        let context = ReadContext(seed: 1, firstVector: 0)
        let reference = try ReferenceEngine().run(crossbar, inputs: inputs, context: context)
        let fast = try FastEngine().run(crossbar, inputs: inputs, context: context)
        #expect(fast.outputs == reference.outputs)
        #expect(fast.cost.activity == reference.cost.activity)
        #expect(fast.cost.ungated == reference.cost.ungated)
        return fast.cost.activity
    }

    /// Both engines agree bit for bit, and count the same events, with gating on and off, per row and per
    /// bit plane, with and without disabled zero-level cells, in AND and XNOR mode.
    @Test(arguments: [(true, GatingGranularity.row, false), (true, .bitPlane, false), (true, .row, true),
                      (true, .bitPlane, true), (false, .row, false)])
    func fastEqualsReferenceOnSkippedWork(gating: Bool, granularity: GatingGranularity, zeroCells: Bool) throws {
        let activity = try Self.agreement(gating: gating, granularity: granularity, zeroCells: zeroCells,
                                          Self.inputs(rows: 60, seed: 8))
        if gating {
            #expect(activity.passesSkipped > 0 && activity.phasesSkipped > 0)
        }
    }

    /// One sign only in the whole batch (ReLU outputs, or their negatives): the other pass is zero for every
    /// vector and is planned without reading one where the gate skips it; with the gate off it still runs.
    /// Both engines agree bit for bit and count the same events, per row and per bit plane.
    @Test(arguments: [(true, GatingGranularity.row, 1), (true, .bitPlane, 1), (true, .row, -1), (false, .row, 1)])
    func passesOfZerosMatchReference(gating: Bool, granularity: GatingGranularity, sign: Int32) throws {
        let inputs = Self.inputs(rows: 60, seed: 9).map { sign * abs($0) }
        let activity = try Self.agreement(gating: gating, granularity: granularity, inputs)
        if gating {
            #expect(activity.passesSkipped >= inputs.rows)
        } else {
            #expect(activity.passesSkipped == 0)
        }
    }

    @Test func xnorSkippedWorkMatchesReference() throws {
        var config = CrossbarConfig()
        config.array.rows = 64
        config.array.cols = 32
        config.array.weightBits = 1
        config.periphery.inputBits = 1
        config.periphery.sparsity.mode = .xnor
        var rng = RandomStream(seed: 4, purpose: .userInput)
        let weights = Matrix<Int32>(rows: 32, columns: 16) { _, _ in rng.next() % 2 == 0 ? 1 : -1 }
        let inputs = Matrix<Int32>(rows: 40, columns: 32) { b, _ in
            b % 3 == 0 || rng.nextUniform() < 0.6 ? 0 : (rng.next() % 2 == 0 ? 1 : -1)
        }
        var crossbar = try Crossbar(config: config, id: testArray, temperature: 300)
        try crossbar.program(weights: weights, seed: 2)
        let context = ReadContext(seed: 1, firstVector: 0)
        let reference = try ReferenceEngine().run(crossbar, inputs: inputs, context: context)
        let fast = try FastEngine().run(crossbar, inputs: inputs, context: context)
        #expect(fast.outputs == reference.outputs)
        #expect(fast.cost.activity == reference.cost.activity)
        #expect(fast.cost.activity.passesSkipped > 0)
    }

    /// Non-negative inputs below 8 on the default 256x256 array: with gating on, the GEMMs hold the three
    /// low phases of the positive pass and nothing of the negative one; with gating off, every phase.
    @Test func gemmRowsAreTheRowsThatRun() throws {
        var config = CrossbarConfig()
        var rng = RandomStream(seed: 6, purpose: .userInput)
        let weights = Matrix<Int32>(rows: 256, columns: 32) { _, _ in Int32(rng.next() % 255) - 127 }
        let inputs = Matrix<Int32>(rows: 32, columns: 256) { _, r in r % 2 == 0 ? 0 : Int32(1 + r % 7) }
        func run(gating: Bool, _ inputs: Matrix<Int32>) throws -> (rows: Int, activity: MVMActivity) {
            config.periphery.sparsity.enabled = gating
            var crossbar = try Crossbar(config: config, id: testArray, temperature: 300)
            try crossbar.program(weights: weights, seed: 2)
            let log = GEMMLog()
            let result = try FastEngine(gemmLog: log).run(crossbar, inputs: inputs, context: ReadContext(seed: 1, firstVector: 0))
            return (log.rows, result.cost.activity)
        }
        let gated = try run(gating: true, inputs)
        #expect(gated.rows == 32 * 3)
        #expect(gated.activity.phasesRun == 32 * 3)
        #expect(gated.activity.passesSkipped == 32)
        #expect(try run(gating: false, inputs).rows == 2 * 32 * 7)
        #expect(try run(gating: true, Matrix(rows: 32, columns: 256, repeating: 0)).rows == 0)
    }

    /// On an array whose GEMM width OpenBLAS's two kernels sum differently (136 columns), with analog
    /// levels, a vector's outputs are the same alone as in a batch whatever runs beside it.
    @Test func outputsDoNotDependOnTheRowsBeside() throws {
        var config = CrossbarConfig()
        config.array.cols = 136
        config.device.programmingNoise = Quantity(0.3e-6)
        var rng = RandomStream(seed: 9, purpose: .userInput)
        let weights = Matrix<Int32>(rows: 256, columns: 17) { _, _ in Int32(rng.next() % 255) - 127 }
        var crossbar = try Crossbar(config: config, id: testArray, temperature: 300)
        try crossbar.program(weights: weights, seed: 2)
        let inputs = Self.inputs(rows: 256, seed: 3)
        let engine = FastEngine()
        let whole = try engine.run(crossbar, inputs: inputs, context: ReadContext(seed: 1, firstVector: 0)).outputs
        for b in 0..<inputs.rows {
            let one = Matrix(rows: 1, columns: inputs.columns, storage: Array(inputs.row(b)))
            let alone = try engine.run(crossbar, inputs: one, context: ReadContext(seed: 1, firstVector: UInt64(b))).outputs
            #expect(Array(alone.row(0)) == Array(whole.row(b)), "vector \(b)")
        }
    }

    /// The padding rule the engine relies on: every row of a GEMM run with `FastEngine.gemmRows` rows has
    /// the sums it has in a GEMM of the most rows, whatever rows run beside it (random levels, so any
    /// change of summation order shows). The rule is made for OpenBLAS's SkylakeX kernels, the ones
    /// `make test` selects on AVX-512 machines; other kernel sets split their work elsewhere.
    @Test(.enabled(if: BLAS.coreName == "SkylakeX", "the padding rule is made for the SkylakeX kernels"),
          arguments: [(256, 256), (136, 256), (130, 144), (128, 27), (80, 64), (256, 512), (72, 300)])
    func gemmRowsKeepEveryRowsSums(columns: Int, depth: Int) {
        var rng = RandomStream(seed: UInt64(columns * 1000 + depth), purpose: .userInput)
        let maxRows = FastEngine.chunkVectors * 7
        let digits = (0..<(maxRows * depth)).map { _ in Float(rng.next() % 4) }
        let levels = (0..<(depth * columns)).map { _ in Float(rng.nextUniform() * 13) }
        func product(_ rows: ArraySlice<Float>, m: Int) -> [Float] {
            let a = Array(rows) + [Float](repeating: 0, count: m * depth - rows.count)
            var c = [Float](repeating: 0, count: m * columns)
            BLAS.singleThreaded {
                BLAS.sgemm(m: m, n: columns, k: depth, a: a, lda: depth, b: levels, ldb: columns, c: &c, ldc: columns)
            }
            return c
        }
        let full = product(digits[...], m: FastEngine.gemmRows(maxRows, columns: columns, depth: depth, maxRows: maxRows))
        for rows in [1, 2, 3, 5, 7, 8, 13, 16, 17, 30, 31, 64, 100, 223] {
            let start = Int(rng.next() % UInt64(maxRows - rows + 1))
            let m = FastEngine.gemmRows(rows, columns: columns, depth: depth, maxRows: maxRows)
            let sums = product(digits[(start * depth)..<((start + rows) * depth)], m: m)
            #expect(Array(sums[0..<(rows * columns)]) == Array(full[(start * columns)..<((start + rows) * columns)]),
                    "\(rows) rows")
        }
    }
}
