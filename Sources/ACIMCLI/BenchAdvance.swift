import ACIMArray
import ACIMChip
import ACIMCore
import ACIMProfiles
import Dispatch
import Foundation

extension Bench {
    /// The most weights `--advance` maps: far beyond any network, well within integer arithmetic.
    static let maximumWeights = 1_000_000_000_000

    /// `acim bench --advance`: a chip holding `weights` random weights on as many arrays as they need,
    /// advanced to a series of new simulated times; prints the time each advance takes and the memory per
    /// cell.
    func benchAdvance(_ hardware: HardwareProfile) throws {
        var config = try array.apply(to: hardware.crossbar)
        let weights = self.weights ?? 11_689_512
        let deviceModel = self.deviceModel ?? DeviceModelKind.pcm.rawValue
        guard let model = DeviceModelKind(rawValue: deviceModel) else {
            throw CLIError("--device-model: expected one of \(DeviceModelKind.allCases.map { $0.rawValue }.joined(separator: ", ")), got '\(deviceModel)'")
        }
        config.device.model = model
        guard (1...Bench.maximumWeights).contains(weights) else {
            throw CLIError("--weights: expected an integer in 1...\(Bench.maximumWeights), got \(weights)")
        }
        let layout = CrossbarLayout(config: config)
        let perArray = layout.logicalRows * layout.weightCapacity
        let arrays = (weights + perArray - 1) / perArray
        let cells = Double(arrays * config.deviceCells)
        try MemoryBudget.require(cells * Chip.bytesPerCell(config), for: "--weights \(weights)")
        let sized = try Bench.sized(hardware, crossbar: config, arrays: arrays, for: "--weights \(weights)")
        let chipConfig = sized.chip
        var chip = try sized.makeChip()
        say("chip        \(arrays) arrays of \(config.array.rows)x\(config.array.cols) on \(chipConfig.tiles) tiles; "
              + "\(weights) weights, \(layout.slices) slices of \(config.array.bitsPerCell)-bit cells, \(config.array.weightEncoding.rawValue); "
              + "device \(model.rawValue); BLAS and Dispatch on \(BLAS.threadCount) thread(s)")
        let range = WeightMapping.codeRange(config: config, layout: layout)
        var start = DispatchTime.now().uptimeNanoseconds
        for (k, id) in chip.arrayIDs.prefix(arrays).enumerated() {
            var rng = RandomStream(seed: 1, lane: UInt64(k), purpose: .userInput)
            let rows = min(layout.logicalRows, (weights - k * perArray + layout.weightCapacity - 1) / layout.weightCapacity)
            let codes = Matrix<Int32>(rows: rows, columns: layout.weightCapacity) { _, _ in
                Int32(range.lowerBound + Int(rng.next() % UInt64(range.count)))
            }
            try chip.program(id, weights: codes, seed: 1)
        }
        say("programmed  \(fmt(secondsSince(start), 2)) s; \(Int(cells)) cells, "
              + "\(fmt(chip.bytesPerCell, 2)) bytes of array state per cell, \(fmt(chip.arrayBytes / 1e9, 2)) GB")
        let times: [Double] = [3600, 86_400, 7 * 86_400, 30 * 86_400, 365 * 86_400]
        for t in times {
            start = DispatchTime.now().uptimeNanoseconds
            try chip.advance(to: t)
            let elapsed = secondsSince(start)
            say("advance to \(Quantity<ACIMCore.Duration>(t).description.padding(toLength: 7, withPad: " ", startingAt: 0)) "
                  + "\(fmt(elapsed, 3)) s  (\(fmt(elapsed * 1e9 / cells, 2)) ns per cell)")
        }
    }

    func secondsSince(_ start: UInt64) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// `hardware` with the arrays of `crossbar` on as many of its tiles as `arrays` arrays need, on a
    /// near-square mesh; `what` names the request in the error when no chip could hold them.
    static func sized(_ hardware: HardwareProfile, crossbar: CrossbarConfig, arrays: Int, for what: String) throws -> HardwareProfile {
        let tiles = (arrays + hardware.tile.arrays - 1) / hardware.tile.arrays
        guard tiles <= ChipConfig.maximumTiles else {
            throw CLIError("\(what) needs \(arrays) arrays on \(tiles) tiles of \(hardware.tile.arrays); "
                           + "a chip has at most \(ChipConfig.maximumTiles) tiles")
        }
        var sized = hardware
        sized.crossbar = crossbar
        sized.chip.tiles = tiles
        sized.chip.meshCols = Int(Double(tiles).squareRoot().rounded(.up))
        sized.chip.meshRows = (tiles + sized.chip.meshCols - 1) / sized.chip.meshCols
        return sized
    }
}
