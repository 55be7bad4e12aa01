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
    /// the rate of the GEMMs the engine ran (skipped phases and passes left out, lossless phases combined)
    /// against plain sgemm on the same shapes, timed in the same run.
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
            total + PartitionedMatrix.arrayCount(rows: layer.rows, columns: layer.columns, groups: layer.groups, layout: layout)
        }
        let perImage = network.inputShape.reduce(1, *)
        // The cells, and per image the largest layer's input vectors held three times at 4 bytes (a bound:
        // its input codes and its blocks' patch codes, one set per row range).
        let largestInputs = network.unrolledShapes.map { layer in
            layer.rows * (network.shapes[layer.name]!.dropFirst().reduce(1, *))
        }.max() ?? 0
        try MemoryBudget.require(Double(arrays * config.deviceCells) * Chip.bytesPerCell(config)
                                 + Double(images * largestInputs) * 4 * 3, for: "--network \(name) with --images \(images)")
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
        say("BLAS core \(BLAS.coreName), \(BLAS.threadCount) thread(s); integer GEMM: \(IntegerGEMM.status.description)")
        say("mapped and programmed in \(fmt(secondsSince(start), 2)) s")

        // The engines record the shape of every GEMM they run; the warm-up run is forgotten.
        let log = GEMMLog()
        let (engine, arrayEngine) = (FastEngine(threads: BLAS.threadCount, gemmLog: log), FastEngine(threads: 1, gemmLog: log))
        func one(_ n: Int) -> Tensor {
            Tensor(shape: [1] + network.inputShape, data: Array(inputs.data[(n * perImage)..<((n + 1) * perImage)]))
        }
        _ = try mapped.infer(one(0), on: &chip, engine: engine, arrayEngine: arrayEngine, seed: 1, firstInference: 0)
        log.clear()
        start = DispatchTime.now().uptimeNanoseconds
        for n in 0..<images {
            _ = try mapped.infer(one(n), on: &chip, engine: engine, arrayEngine: arrayEngine, seed: 1, firstInference: UInt64(n))
        }
        let single = secondsSince(start) / Double(images)
        let singleShapes = log.shapes
        log.clear()
        start = DispatchTime.now().uptimeNanoseconds
        let run = try mapped.infer(inputs, on: &chip, engine: engine, arrayEngine: arrayEngine, seed: 1, firstInference: 0)
        let batched = secondsSince(start) / Double(images)
        // The schedule's time as the engine's: a median over repetitions (5).
        var schedules: [(seconds: Double, schedule: PipelineSchedule)] = []
        for _ in 0..<5 {
            start = DispatchTime.now().uptimeNanoseconds
            let schedule = try PipelineSchedule(mapped, chip: chip, costs: run.costs)
            schedules.append((secondsSince(start), schedule))
        }
        let (scheduling, pipeline) = schedules.sorted { $0.seconds < $1.seconds }[2]
        let batchedShapes = log.shapes

        // Plain sgemm on the same shapes, per image.
        let (singleFlops, batchedFlops) = (Bench.flops(singleShapes) / Double(images), Bench.flops(batchedShapes) / Double(images))
        let threads = BLAS.threadCount
        let singleInteger = try integerGEMMSeconds(singleShapes, threads: threads, repetitions: 5).map { $0 / Double(images) }
        let batchedInteger = try integerGEMMSeconds(batchedShapes, threads: threads, repetitions: 5).map { $0 / Double(images) }
        let singleSGEMM = try sgemmSeconds(singleShapes, repetitions: 5) / Double(images)
        let batchedSGEMM = try sgemmSeconds(batchedShapes, repetitions: 5) / Double(images)
        let dense = Bench.flops(denseGEMMShapes(mapped, layout: layout))
        func line(_ label: String, _ seconds: Double, _ flops: Double, _ integerSeconds: Double?, _ sgemmSeconds: Double) {
            let integer = integerSeconds.map { "  \(fmt($0 / seconds, 3)) of the integer GEMM rate" } ?? ""
            say(label.padding(toLength: 19, withPad: " ", startingAt: 0) + "\(fmt(seconds * 1e3, 2)) ms per image  "
                  + "\(fmt(flops / seconds / 1e9, 1)) GOP/s of the GEMMs run\(integer)  \(fmt(sgemmSeconds / seconds, 3)) of the sgemm rate")
        }
        line("batch 1", single, singleFlops, singleInteger, singleSGEMM)
        if images > 1 { line("batch \(images)", batched, batchedFlops, batchedInteger, batchedSGEMM) }
        let gemms = "the batch-1 GEMMs (\(singleShapes.count / images), \(fmt(singleFlops / 1e9, 2)) GOP)"
        if let singleInteger, let batchedInteger {
            say("integer GEMM       \(fmt(singleInteger * 1e3, 2)) ms per image for \(gemms)  \(fmt(singleFlops / singleInteger / 1e9, 1)) GOP/s; "
                  + "\(fmt(batchedInteger * 1e3, 2)) ms for the batch-\(images) GEMMs")
        }
        say("cblas_sgemm        \(fmt(singleSGEMM * 1e3, 2)) ms per image for \(gemms)  \(fmt(singleFlops / singleSGEMM / 1e9, 1)) GFLOP/s; "
              + "\(fmt(batchedSGEMM * 1e3, 2)) ms for the batch-\(images) GEMMs")
        say("GEMM work         \(fmt(singleFlops / dense, 3)) of the \(fmt(dense / 1e9, 2)) GFLOP per image with every phase multiplied")
        say("pipelined          \(pipeline.latencyCycles) cycles per image alone (layer by layer \(fmt(run.costs.latencyCycles, 0))), "
              + "one every \(fmt(pipeline.intervalCycles, 0)) in a stream (bottleneck \(pipeline.bottleneck.resource), "
              + "\(pipeline.bottleneck.layer))" + (pipeline.spilledBytes > 0 ? ", \(pipeline.spilledBytes) activation bytes through DRAM" : "")
              + "; scheduled in \(fmt(scheduling * 1e3, 1)) ms (median of 5) = "
              + "\(percent(scheduling / (scheduling + batched * Double(images)))) of running the \(images) image(s) and scheduling them")
        say("peak memory        \(MemoryBudget.format(Bench.peakResidentBytes()))")
    }

    /// The GEMMs one image would make the FastEngine run if every phase of every pass ran: per block and
    /// pass, (vectors x phases) x word lines times word lines x mapped columns.
    private func denseGEMMShapes(_ mapped: MappedNetwork, layout: CrossbarLayout) -> [GEMMLog.Shape] {
        mapped.placement.layers.flatMap { layer -> [GEMMLog.Shape] in
            let outputs = mapped.network.shapes[layer.name]!
            let vectors = outputs.count == 3 ? outputs[1] * outputs[2] : 1
            return layer.matrix.blocks.flatMap { block in
                Array(repeating: GEMMLog.Shape(m: vectors * layout.phasesPerPass,
                                               n: block.columns.count * layout.columnsPerWeight + layout.offsetColumns,
                                               k: block.rows.count * layout.wordLinesPerRow), count: layout.passes)
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
