import ACIMArray
import ACIMCore
import ArgumentParser
import Foundation

/// `acim bench`: FastEngine throughput against plain sgemm on the same shapes, in the same run.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure FastEngine throughput as GFLOP/s of its GEMMs and as a fraction of plain cblas_sgemm.",
        discussion: """
            Default case: a 256x256 array, batch 64, 8-bit two-pass inputs applied bit-serially \
            (1-bit DAC), 8-bit weights in 2-bit cells (differential), an 8-bit ADC conversion per bit plane. \
            The engine runs on the array as a chip calls it: its prepared readout is kept between batches. \
            A timed sample repeats a small batch until it lasts a millisecond, so --batch 1 is measured \
            well above the clock's resolution. Build in release mode (make bench).
            """)

    @OptionGroup var profile: ProfileOption
    @OptionGroup var array: ArrayOptions
    @Option(parsing: .unconditional, help: "Input vectors per MVM batch.") var batch = 64
    @Option(parsing: .unconditional, help: "Zero fraction of the inputs (0...1).") var sparsity = 0.0
    @Option(parsing: .unconditional, help: "Timed repetitions; the median is reported.") var repetitions = 30
    @Option(parsing: .unconditional, help: "BLAS threads, at most the machine's cores (default: OpenBLAS's choice).") var threads: Int?
    @Flag(help: "Also time the ReferenceEngine on one batch.") var reference = false
    @Flag(help: "Time advancing a whole chip's arrays to new simulated times instead (see --weights).")
    var advance = false
    @Option(parsing: .unconditional, help: "With --advance: weights mapped on the chip (default: ResNet-18's 11.7 M).")
    var weights: Int?
    @Option(help: "With --advance: the device model of the cells (ideal, pcm, hermes_pcm, state_independent, reram_cmo; default pcm).")
    var deviceModel: String?
    @Option(help: "Time a whole network on the chip instead: resnet20 (CIFAR-10 shapes) or resnet18 (ImageNet shapes), random weights.")
    var network: String?
    @Option(parsing: .unconditional, help: "With --network: random images timed one at a time, then as one batch (1...256, default 8).")
    var images: Int?

    func run() throws {
        try threads.map { try check($0, in: 1...ProcessInfo.processInfo.activeProcessorCount, "--threads") }
        let hardware = try profile.load()
        #if DEBUG
        warn("warning: debug build; build with `swift build -c release` (make bench) for meaningful figures")
        #endif
        if let threads { BLAS.threadCount = threads }
        if advance && network != nil { throw CLIError("--advance and --network: choose one benchmark") }
        if images != nil && network == nil { throw CLIError("--images: no effect without --network; leave it out") }
        if advance { return try benchAdvance(hardware) }
        if let network { return try benchNetwork(hardware, name: network) }
        if weights != nil || deviceModel != nil {
            throw CLIError("--weights and --device-model size the chip of --advance; without it they would be ignored")
        }
        try check(batch, atLeast: 1, "--batch")
        try check(sparsity, in: 0...1, "--sparsity")
        try check(repetitions, atLeast: 1, "--repetitions")
        let config = try array.apply(to: hardware.crossbar)
        let layout = CrossbarLayout(config: config)
        try MemoryBudget.require(Self.bytesPerVector(layout, columns: config.array.cols) * Double(batch), for: "--batch \(batch)")
        var crossbar = try Crossbar(config: config, id: singleArray, temperature: hardware.technology.temperature.value)
        var rng = RandomStream(seed: 1, purpose: .userInput)
        let range = WeightMapping.codeRange(config: config, layout: layout)
        let weights = Matrix<Int32>(rows: layout.logicalRows, columns: layout.weightCapacity) { _, _ in
            layout.mode == .xnor ? (rng.next() % 2 == 0 ? 1 : -1)
                : Int32(range.lowerBound + Int(rng.next() % UInt64(range.count)))
        }
        let top = config.periphery.inputEncoding == .unsigned ? (1 << config.periphery.inputBits) - 1
            : (1 << (config.periphery.inputBits - 1)) - 1
        let low = config.periphery.inputEncoding == .unsigned ? 0 : -top
        let inputs = Matrix<Int32>(rows: batch, columns: layout.logicalRows) { _, _ in
            if rng.nextUniform() < sparsity { return 0 }
            return layout.mode == .xnor ? (rng.next() % 2 == 0 ? 1 : -1) : Int32(low + Int(rng.next() % UInt64(top - low + 1)))
        }
        try crossbar.program(weights: weights, seed: 1)
        let readNoise = config.device.readNoise.value > 0

        var reads: UInt64 = 0
        func nextBatch() -> ReadContext {
            defer { reads += UInt64(inputs.rows) }
            return ReadContext(seed: 1, firstVector: reads)
        }
        // The GEMMs one batch runs, as the engine records them: the rows of the phases that run, for the
        // column sums and, with zero-level cells disabled, the cells read and (read noise) the squared digits.
        let log = GEMMLog()
        _ = try FastEngine(threads: BLAS.threadCount, gemmLog: log).run(crossbar, inputs: inputs, context: nextBatch())
        let shapes = log.shapes
        let flops = Bench.flops(shapes)

        let engine = FastEngine(threads: BLAS.threadCount)
        let engineSeconds = try median(repetitions) {
            _ = try engine.run(crossbar, inputs: inputs, context: nextBatch())
        }
        let integerSeconds = try integerGEMMSeconds(shapes, threads: BLAS.threadCount, repetitions: repetitions)
        let sgemmSeconds = try sgemmSeconds(shapes, repetitions: repetitions)
        let engineRate = flops / engineSeconds / 1e9
        let sgemmRate = flops / sgemmSeconds / 1e9
        say("acim bench: FastEngine vs the integer GEMM and cblas_sgemm on its GEMM shapes, median of \(repetitions) runs")
        say("BLAS core \(BLAS.coreName), \(BLAS.threadCount) thread(s); integer GEMM: \(IntegerGEMM.status.description)")
        say("array \(config.array.rows)x\(config.array.cols), \(config.array.bitsPerCell)-bit cells, \(config.array.weightBits)-bit \(config.array.weightEncoding.rawValue) weights, \(config.periphery.inputBits)-bit \(config.periphery.inputEncoding.rawValue) inputs, \(config.periphery.dacBits)-bit DAC, \(config.periphery.adc.bits)-bit ADC per plane")
        say("batch \(batch), input sparsity \(percent(sparsity)), read noise \(readNoise ? "on" : "off")")
        say("GEMMs per batch: \(Bench.describe(shapes)) (\(fmt(flops / 1e6, 1)) MOP)")
        say("FastEngine    \(fmt(engineSeconds * 1e3, 3)) ms per batch  \(fmt(engineRate, 1)) GOP/s  \(fmt(Double(batch) / engineSeconds, 0)) MVM/s  \(fmt(engineSeconds / Double(batch) * 1e6, 2)) us per vector")
        if let integerSeconds {
            say("integer GEMM  \(fmt(integerSeconds * 1e3, 3)) ms per batch  \(fmt(flops / integerSeconds / 1e9, 1)) GOP/s")
        }
        say("cblas_sgemm   \(fmt(sgemmSeconds * 1e3, 3)) ms per batch  \(fmt(sgemmRate, 1)) GFLOP/s")
        let integerRatio = integerSeconds.map { "\(fmt($0 / engineSeconds, 3)) of the integer GEMM rate, " } ?? ""
        say("ratio         \(integerRatio)\(fmt(engineRate / sgemmRate, 3)) of the sgemm rate")
        if reference {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try ReferenceEngine().run(crossbar, inputs: inputs, context: nextBatch())
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            say("Reference     \(fmt(seconds * 1e3, 1)) ms per batch  (\(fmt(seconds / engineSeconds, 0))x the FastEngine time)")
        }
    }

    /// Bytes the benchmark allocates per input vector: the integer inputs (4 bytes per row), the engine's
    /// accumulator per pass and its outputs (8 bytes per output each), and the sgemm operands of every phase
    /// (4 bytes per word line and per mapped column).
    static func bytesPerVector(_ layout: CrossbarLayout, columns: Int) -> Double {
        Double(4 * layout.logicalRows + 8 * layout.weightCapacity * (layout.passes + 1)
               + 4 * layout.phasesPerPass * (layout.logicalRows * layout.wordLinesPerRow + columns))
    }

    /// The median over `repetitions` samples of the seconds plain sgemm takes to run one GEMM of every shape
    /// in `shapes` (0/1 digits times levels), in operands made beforehand.
    func sgemmSeconds(_ shapes: [GEMMLog.Shape], repetitions: Int) throws -> Double {
        let a = [Float](repeating: 1, count: shapes.map { $0.m * $0.k }.max() ?? 0)
        let b = [Float](repeating: 2, count: shapes.map { $0.k * $0.n }.max() ?? 0)
        var c = [Float](repeating: 0, count: shapes.map { $0.m * $0.n }.max() ?? 0)
        return try a.withUnsafeBufferPointer { a in
            try b.withUnsafeBufferPointer { b in
                try c.withUnsafeMutableBufferPointer { c in
                    try median(repetitions) {
                        for shape in shapes {
                            BLAS.sgemm(m: shape.m, n: shape.n, k: shape.k, a: a.baseAddress!, lda: shape.k,
                                       b: b.baseAddress!, ldb: shape.n, c: c.baseAddress!, ldc: shape.n)
                        }
                    }
                }
            }
        }
    }

    /// The median over `repetitions` samples of the seconds the integer GEMM takes to run one GEMM of every
    /// shape in `shapes` (1 digits times levels 0...3), the shapes dealt round-robin to `threads` threads
    /// of the engine's team (`Parallel`), one GEMM per thread at a time; nil when the integer path is off.
    func integerGEMMSeconds(_ shapes: [GEMMLog.Shape], threads: Int, repetitions: Int) throws -> Double? {
        guard IntegerGEMM.status.isOn, !shapes.isEmpty else { return nil }
        struct Operand: Hashable { let k: Int, n: Int }
        var packed: [Operand: IntegerGEMM.PackedMatrix] = [:]
        for shape in shapes where packed[Operand(k: shape.k, n: shape.n)] == nil {
            let values = (0..<shape.k * shape.n).map { Int8($0 % 4) }
            packed[Operand(k: shape.k, n: shape.n)] = try require(IntegerGEMM.PackedMatrix(rows: shape.k, columns: shape.n, values: values),
                                                                  "packed \(shape.k)x\(shape.n) operand")
        }
        let operands = shapes.map { packed[Operand(k: $0.k, n: $0.n)]! }
        let a = [UInt8](repeating: 1, count: shapes.map { $0.m * $0.k }.max()!)
        let width = shapes.map { $0.m * $0.n }.max()!
        // The engine's products, on 64-byte boundaries, kept alive while their pointers are in use.
        let products = (0..<threads).map { _ in GEMMProduct(count: width) }
        return try withExtendedLifetime(products) {
            try a.withUnsafeBufferPointer { a in
                let (a, outputs) = (Unchecked(value: a.baseAddress!), Unchecked(value: products.map(\.base)))
                return try median(repetitions) {
                    Parallel.forEach(threads, threads: threads) { t in
                        for i in stride(from: t, to: shapes.count, by: threads) {
                            _ = IntegerGEMM.multiply(a.value, rows: shapes[i].m, by: operands[i], into: outputs.value[t])
                        }
                    }
                }
            }
        }
    }

    /// Floating-point operations of the GEMMs `shapes`.
    static func flops(_ shapes: [GEMMLog.Shape]) -> Double {
        shapes.reduce(0.0) { $0 + 2 * Double($1.m) * Double($1.n) * Double($1.k) }
    }

    /// `shapes` by count, for example `2 of 448x256 * 256x256`, in order of first appearance.
    static func describe(_ shapes: [GEMMLog.Shape]) -> String {
        var counts: [(GEMMLog.Shape, Int)] = []
        for shape in shapes {
            if let index = counts.firstIndex(where: { $0.0 == shape }) { counts[index].1 += 1 } else { counts.append((shape, 1)) }
        }
        guard !counts.isEmpty else { return "none" }
        return counts.map { "\($1) of \($0.m)x\($0.k) * \($0.k)x\($0.n)\($0.integer ? " (integer)" : "")" }.joined(separator: ", ")
    }

    /// The median over `count` samples of the seconds one `body` takes. A first call warms up and sizes
    /// the samples: each repeats `body` as often as the first call fits in a millisecond, and divides.
    func median(_ count: Int, _ body: () throws -> Void) throws -> Double {
        func seconds(_ calls: Int) throws -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<calls { try body() }
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(calls)
        }
        let calls = max(1, Int(1e-3 / max(try seconds(1), 1e-9)))
        var times: [Double] = []
        for _ in 0..<count { times.append(try seconds(calls)) }
        return times.sorted()[times.count / 2]
    }
}

/// Unwraps an optional that the preceding call guarantees.
func require<T>(_ value: T?, _ what: String = "value") throws -> T {
    guard let value else { throw CLIError("internal error: missing \(what)") }
    return value
}
