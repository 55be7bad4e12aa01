import ACIMArray
import ACIMCore
import ArgumentParser
import Foundation

/// `acim bench`: FastEngine throughput against plain sgemm on the same shapes, in the same run.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure FastEngine throughput as GFLOP/s of its GEMMs and as a fraction of plain cblas_sgemm.",
        discussion: """
            Default case (the README's benchmark): a 256x256 array, batch 64, 8-bit two-pass inputs applied bit-serially \
            (1-bit DAC), 8-bit weights in 2-bit cells (differential), an 8-bit ADC conversion per bit plane. \
            Build in release mode (make bench).
            """)

    @OptionGroup var profile: ProfileOption
    @OptionGroup var array: ArrayOptions
    @Option(help: "Input vectors per MVM batch.") var batch = 64
    @Option(help: "Zero fraction of the inputs (0...1).") var sparsity = 0.0
    @Option(help: "Timed repetitions; the median is reported.") var repetitions = 30
    @Option(help: "BLAS threads (default: OpenBLAS's choice).") var threads: Int?
    @Flag(help: "Also time the ReferenceEngine on one batch.") var reference = false

    func run() throws {
        #if DEBUG
        print("warning: debug build; build with `swift build -c release` (make bench) for meaningful figures")
        #endif
        if let threads { BLAS.threadCount = threads }
        let config = try array.apply(to: profile.load().crossbar)
        var crossbar = try Crossbar(config: config)
        let layout = crossbar.layout
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
        let mapping = try require(crossbar.mapping, "mapping")

        // The GEMMs one batch runs: per pass, (batch x phases) x word lines times word lines x columns.
        let m = batch * layout.phasesPerPass
        let k = mapping.levels.rows
        let n = mapping.mappedColumns
        let readNoise = config.device.readNoise.value > 0
        let gemmsPerBatch = layout.passes * (readNoise ? 2 : 1)
        let flops = Double(gemmsPerBatch) * 2 * Double(m) * Double(n) * Double(k)

        let engine = FastEngine()
        var step: UInt64 = 0
        _ = try engine.run(crossbar, inputs: inputs, context: ReadContext(seed: 1, step: step))
        let engineSeconds = try median(repetitions) {
            step += 1
            _ = try engine.run(crossbar, inputs: inputs, context: ReadContext(seed: 1, step: step))
        }

        var a = [Float](repeating: 0, count: m * k)
        for i in a.indices { a[i] = Float(rng.next() % 2) }
        let b = try require(crossbar.readout, "readout").levels.storage
        var c = [Float](repeating: 0, count: m * n)
        let sgemmSeconds = try median(repetitions) {
            for _ in 0..<gemmsPerBatch {
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        c.withUnsafeMutableBufferPointer { pc in
                            BLAS.sgemm(m: m, n: n, k: k, a: pa.baseAddress!, lda: k, b: pb.baseAddress!, ldb: n,
                                       c: pc.baseAddress!, ldc: n)
                        }
                    }
                }
            }
        }
        let engineRate = flops / engineSeconds / 1e9
        let sgemmRate = flops / sgemmSeconds / 1e9
        print("acim bench: FastEngine vs cblas_sgemm, median of \(repetitions) runs")
        print("BLAS core \(BLAS.coreName), \(BLAS.threadCount) thread(s)")
        print("array \(config.array.rows)x\(config.array.cols), \(config.array.bitsPerCell)-bit cells, \(config.array.weightBits)-bit \(config.array.weightEncoding.rawValue) weights, \(config.periphery.inputBits)-bit \(config.periphery.inputEncoding.rawValue) inputs, \(config.periphery.dacBits)-bit DAC, \(config.periphery.adc.bits)-bit ADC per plane")
        print("batch \(batch), input sparsity \(percent(sparsity)), read noise \(readNoise ? "on" : "off")")
        print("GEMMs per batch: \(gemmsPerBatch) of \(m)x\(k) * \(k)x\(n) (\(fmt(flops / 1e6, 1)) MFLOP)")
        print("FastEngine    \(fmt(engineSeconds * 1e3, 3)) ms per batch  \(fmt(engineRate, 1)) GFLOP/s  \(fmt(Double(batch) / engineSeconds, 0)) MVM/s")
        print("cblas_sgemm   \(fmt(sgemmSeconds * 1e3, 3)) ms per batch  \(fmt(sgemmRate, 1)) GFLOP/s")
        print("ratio         \(fmt(engineRate / sgemmRate, 3)) of the sgemm rate")
        if reference {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try ReferenceEngine().run(crossbar, inputs: inputs, context: ReadContext(seed: 1))
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            print("Reference     \(fmt(seconds * 1e3, 1)) ms per batch  (\(fmt(seconds / engineSeconds, 0))x the FastEngine time)")
        }
    }

    private func median(_ count: Int, _ body: () throws -> Void) throws -> Double {
        var times: [Double] = []
        for _ in 0..<max(1, count) {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return times.sorted()[times.count / 2]
    }
}

/// Unwraps an optional that the preceding call guarantees.
func require<T>(_ value: T?, _ what: String = "value") throws -> T {
    guard let value else { throw CLIError("internal error: missing \(what)") }
    return value
}
