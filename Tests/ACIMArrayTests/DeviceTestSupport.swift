import ACIMCore
import Testing
@testable import ACIMArray

/// Small crossbars for the device tests: 16 x 16 cells, one-slice 4-bit-cell differential pairs holding
/// random 5-bit weights (16 rows x 8 outputs), lossless 12-bit ADC, no sparsity gating.
enum DeviceArray {
    static let oneYear = 3.1536e7

    static func config(_ device: CellDeviceConfig) -> CrossbarConfig {
        var config = CrossbarConfig()
        config.array.rows = 16
        config.array.cols = 16
        config.array.weightBits = 5
        config.array.bitsPerCell = 4
        config.periphery.inputBits = 4
        config.periphery.adc.bits = 12
        config.periphery.sparsity.enabled = false
        config.device = device
        return config
    }

    static func weights(seed: UInt64) -> Matrix<Int32> {
        let draws = RandomStream(seed: seed, purpose: .data)
        return Matrix(rows: 16, columns: 8) { r, c in Int32(Int(draws.bits(at: UInt64(r * 8 + c)) % 31) - 15) }
    }

    /// A programmed array at time 0.
    static func programmed(_ device: CellDeviceConfig, seed: UInt64 = 3) throws -> Crossbar {
        var crossbar = try Crossbar(config: config(device), id: testArray, temperature: 300)
        try crossbar.program(weights: weights(seed: seed), seed: seed)
        return crossbar
    }

    static func inputs(_ vectors: Int) -> Matrix<Int32> {
        let draws = RandomStream(seed: 99, purpose: .userInput)
        return Matrix(rows: vectors, columns: 16) { b, r in Int32(Int(draws.bits(at: UInt64(b * 16 + r)) % 15) - 7) }
    }

    static func device(_ model: DeviceModelKind) -> CellDeviceConfig {
        var device = CellDeviceConfig()
        device.model = model
        return device
    }
}

extension Crossbar {
    /// What cell `index` shows a read now, by the reference path.
    func readNow(_ index: Int) -> Double { readConductance(index, noise: deviceNoise) }

    /// The reference path's level of cell (`wordLine`, `column`) now.
    func referenceLevel(_ wordLine: Int, _ column: Int) -> Double {
        (readNow(wordLine * cells.columns + column) - config.device.gMin.value) / device.levelStep
    }

    /// The largest difference between the readout's levels and the reference path's, as a fraction of the
    /// level range.
    func readoutDeviation() throws -> Double {
        let levels = try #require(readout).levels
        var worst = 0.0
        for w in 0..<levels.rows {
            for c in 0..<levels.columns { worst = max(worst, abs(Double(levels[w, c]) - referenceLevel(w, c))) }
        }
        return worst / Double(device.maxLevel)
    }
}

/// How far the materialization's fast path may be from its reference, as a fraction of the level range
/// (see `MaterializationTests`).
let materializationTolerance = 1e-5
