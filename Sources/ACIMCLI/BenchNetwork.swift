import ACIMArray
import ACIMChip
import ACIMCore
import ACIMHost
import ACIMNetwork
import ACIMProfiles
import Dispatch
import Foundation

extension Bench {
    /// The networks `--network` builds, with random weights.
    static let networks = ["resnet20", "resnet18"]

    /// `acim bench --network NAME`: the network (random weights, batch norm calibrated on random inputs)
    /// mapped on a chip of the profile's tiles, as many as it needs, programmed open loop, and `--images`
    /// random images run bit-accurately one at a time and then as one batch. Prints the time per image and
    /// the rate of the engine's GEMMs against plain sgemm on the same shapes, timed in the same run.
    func benchNetwork(_ hardware: HardwareProfile, name: String) throws {
        let config = try array.apply(to: hardware.crossbar)
        let network: Network
        switch name {
        case "resnet20": network = try Architectures.resNet20(seed: 1)
        case "resnet18": network = try Architectures.resNet18(seed: 1)
        default: throw CLIError("--network: expected one of \(Bench.networks.joined(separator: ", ")), got '\(name)'")
        }
        let images = self.images ?? 8
        try check(images, in: 1...256, "--images")
        let layout = CrossbarLayout(config: config)
        let arrays = network.unrolledShapes.reduce(0) { total, layer in
            let splits = PartitionedMatrix.splits(rows: layer.rows, columns: layer.columns, layout: layout)
            return total + splits.rows * splits.columns
        }
        let perImage = network.inputShape.reduce(1, *)
        try MemoryBudget.require(Double(arrays * config.array.rows * config.array.cols) * Chip.bytesPerCell(config)
                                 + Double(images * perImage) * 4 * 64, for: "--network \(name) with --images \(images)")
        let sized = try Bench.sized(hardware, crossbar: config, arrays: max(arrays, hardware.chip.tiles * hardware.tile.arrays),
                                    for: "--network \(name)")
        var chip = try sized.makeChip()
        let inputs = Bench.randomImages(images, shape: network.inputShape, seed: 2)
        let calibration = Dataset(images: Bench.randomImages(8, shape: network.inputShape, seed: 3), labels: [])
        var start = DispatchTime.now().uptimeNanoseconds
        let calibrated = try network.calibrated(on: calibration)
        let mapped = try MappedNetwork(calibrated, calibration: calibration, chip: chip)
        try mapped.program(on: &chip, seed: 1)
        say("acim bench --network \(name): \(network.macs) MACs per image, \(mapped.placement.weights) weights on "
              + "\(mapped.placement.arraysUsed) arrays of \(config.array.rows)x\(config.array.cols) (\(sized.chip.tiles) tiles); "
              + "\(config.periphery.inputBits)-bit \(config.periphery.inputEncoding.rawValue) inputs on a \(config.periphery.dacBits)-bit DAC, "
              + "\(config.array.weightBits)-bit weights in \(config.array.bitsPerCell)-bit cells, \(config.periphery.adc.bits)-bit ADC")
        say("BLAS core \(BLAS.coreName), \(BLAS.threadCount) thread(s); mapped and programmed in \(fmt(secondsSince(start), 2)) s")

        let (engine, arrayEngine) = (FastEngine(threads: BLAS.threadCount), FastEngine(threads: 1))
        func one(_ n: Int) -> Tensor {
            Tensor(shape: [1] + network.inputShape, data: Array(inputs.data[(n * perImage)..<((n + 1) * perImage)]))
        }
        _ = try mapped.infer(one(0), on: &chip, engine: engine, arrayEngine: arrayEngine, seed: 1, firstInference: 0)
        start = DispatchTime.now().uptimeNanoseconds
        for n in 0..<images {
            _ = try mapped.infer(one(n), on: &chip, engine: engine, arrayEngine: arrayEngine, seed: 1, firstInference: UInt64(n))
        }
        let single = secondsSince(start) / Double(images)
        start = DispatchTime.now().uptimeNanoseconds
        _ = try mapped.infer(inputs, on: &chip, engine: engine, arrayEngine: arrayEngine, seed: 1, firstInference: 0)
        let batched = secondsSince(start) / Double(images)

        let shapes = gemmShapes(mapped, layout: layout)
        let flops = shapes.reduce(0.0) { $0 + 2 * Double($1.m) * Double($1.n) * Double($1.k) }
        let sgemmSeconds = try median(3) { Bench.runSGEMMs(shapes) }
        let sgemmRate = flops / sgemmSeconds / 1e9
        say("batch 1            \(fmt(single * 1e3, 2)) ms per image  \(fmt(flops / single / 1e9, 1)) GFLOP/s of bit-plane GEMMs  "
              + "\(fmt(flops / single / 1e9 / sgemmRate, 3)) of the sgemm rate")
        if images > 1 {
            say("batch \(images)".padding(toLength: 19, withPad: " ", startingAt: 0) + "\(fmt(batched * 1e3, 2)) ms per image  "
                  + "\(fmt(flops / batched / 1e9, 1)) GFLOP/s  \(fmt(flops / batched / 1e9 / sgemmRate, 3)) of the sgemm rate")
        }
        say("cblas_sgemm        \(fmt(sgemmSeconds * 1e3, 2)) ms for one image's \(shapes.count) GEMMs "
              + "(\(fmt(flops / 1e9, 2)) GFLOP)  \(fmt(sgemmRate, 1)) GFLOP/s")
        say("peak memory        \(MemoryBudget.format(Bench.peakResidentBytes()))")
    }

    /// The GEMMs one image makes the FastEngine run: per block and pass, (vectors x phases) x word lines
    /// times word lines x mapped columns.
    private func gemmShapes(_ mapped: MappedNetwork, layout: CrossbarLayout) -> [(m: Int, n: Int, k: Int)] {
        mapped.placement.layers.flatMap { layer -> [(m: Int, n: Int, k: Int)] in
            let outputs = mapped.network.shapes[layer.name]!
            let vectors = outputs.count == 3 ? outputs[1] * outputs[2] : 1
            return layer.matrix.blocks.flatMap { block in
                Array(repeating: (m: vectors * layout.phasesPerPass,
                                  n: block.columns.count * layout.columnsPerWeight + layout.offsetColumns,
                                  k: block.rows.count * layout.wordLinesPerRow), count: layout.passes)
            }
        }
    }

    /// Runs one plain sgemm of every shape, on 0/1 digits times levels.
    private static func runSGEMMs(_ shapes: [(m: Int, n: Int, k: Int)]) {
        for shape in shapes {
            let a = [Float](repeating: 1, count: shape.m * shape.k), b = [Float](repeating: 2, count: shape.k * shape.n)
            var c = [Float](repeating: 0, count: shape.m * shape.n)
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        BLAS.sgemm(m: shape.m, n: shape.n, k: shape.k, a: pa.baseAddress!, lda: shape.k, b: pb.baseAddress!,
                                   ldb: shape.n, c: pc.baseAddress!, ldc: shape.n)
                    }
                }
            }
        }
    }

    /// `count` images of standard normal pixels.
    static func randomImages(_ count: Int, shape: [Int], seed: UInt64) -> Tensor {
        let rng = RandomStream(seed: seed, purpose: .userInput)
        let size = count * shape.reduce(1, *)
        return Tensor(shape: [count] + shape, data: (0..<size).map { Float(rng.gaussian(at: UInt64($0))) })
    }

    /// The process's peak resident memory (`VmHWM` of /proc/self/status), 0 where it cannot be read.
    static func peakResidentBytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) else { return 0 }
        return kilobytes * 1024
    }
}
