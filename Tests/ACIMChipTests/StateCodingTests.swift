import ACIMArray
import ACIMCore
import Foundation
import Testing
@testable import ACIMChip

/// A chip and its device controller saved and restored: the copy equals the original and, continued the
/// same way, gives bit-identical outputs, reports and counters.
@Suite struct StateCodingTests {
    /// What a checkpoint holds of the hardware.
    struct Saved: Codable, Equatable {
        var chip: Chip
        var controller: DeviceController
    }

    static let ids = [ArrayID(tile: 0, slot: 1), ArrayID(tile: 1, slot: 0), ArrayID(tile: 3, slot: 2)]

    /// Three arrays of drifting, noisy, aging PCM cells (retention loss, read disturb, stuck faults growing
    /// with writes, a temperature read-out factor) on a chip, deployed through the device controller and
    /// run for a day; made once for every test.
    static let deployment = Result { try deploy() }

    static func deploy() throws -> (Saved, MasterWeights) {
        var crossbar = CrossbarConfig()
        crossbar.array.rows = 32
        crossbar.array.cols = 32
        crossbar.device.model = .pcm
        crossbar.device.readNoise = Quantity(0.2e-6)
        crossbar.device.aging.retentionTime = Quantity(1e7)
        crossbar.device.aging.readDisturb = 1e-9
        crossbar.device.aging.readDisturbStd = 1e-9
        crossbar.device.aging.stuckProbability = 1e-3
        crossbar.device.aging.temperatureCoefficient = 1e-3
        var tile = TileConfig()
        tile.arrays = 4
        var chipConfig = ChipConfig()
        chipConfig.tiles = 4
        chipConfig.meshRows = 2
        chipConfig.meshCols = 2
        var controllerConfig = DeviceControllerConfig()
        controllerConfig.testVector = .random
        controllerConfig.maxReads = 500
        var chip = try Chip(technology: TechnologyConfig(), crossbar: crossbar, tile: tile, chip: chipConfig,
                            controller: controllerConfig, energy: ChipEnergy(), area: AreaConfig())
        var host = MasterWeights()
        for (k, id) in ids.enumerated() {
            let weights = ChipTests.weights(UInt64(20 + k))
            host.set(weights, for: id)
            try chip.map(id, weights: weights, seed: 3)
        }
        var controller = try DeviceController(config: controllerConfig, seed: 5)
        _ = try controller.deploy(&chip, host: host)
        var state = Saved(chip: chip, controller: controller)
        for step in 1...6 { try run(&state, step: step, host: host) }
        return (state, host)
    }

    /// Step `step` of a deployment, four hours each: one damaged weight, a warmer chip from step 3, MVMs on
    /// both engines, and a maintenance round (preempting inference on odd steps). Returns the outputs'
    /// bits and the round's report.
    @discardableResult
    static func run(_ state: inout Saved, step: Int, host: MasterWeights) throws -> ([[UInt64]], MaintenanceReport) {
        try state.chip.withArray(ids[step % 3]) { try $0.degradeWeight(row: step % 32, output: step % 4, by: 0.5) }
        try state.chip.advance(to: Double(step) * 4 * 3600, temperature: step >= 3 ? 320 : nil)
        var outputs: [[UInt64]] = []
        for (k, id) in ids.enumerated() {
            var rng = RandomStream(seed: UInt64(step), lane: UInt64(k), purpose: .userInput)
            let inputs = Matrix<Int32>(rows: 8, columns: 32) { _, _ in Int32(rng.next() % 255) - 127 }
            for engine in [FastEngine(), ReferenceEngine()] as [any MVMEngine] {
                let context = ReadContext(seed: 7, firstVector: UInt64(step) * 1000)
                let result = try state.chip.mvm(id, inputs: inputs, context: context, engine: engine)
                outputs.append(result.outputs.storage.map(\.bitPattern))
            }
        }
        var none: DetectionAudit? = nil
        let report = try state.controller.maintain(&state.chip, idle: step % 2 == 0, host: host, audit: &none)
        return (outputs, report)
    }

    @Test func aRestoredChipAndControllerContinueBitForBit() throws {
        var (original, host) = try Self.deployment.get()
        let saved = try StateCoding.encode(original)
        var restored = try StateCoding.decode(Saved.self, from: saved, path: "state.json")
        #expect(restored == original)
        #expect(try StateCoding.encode(restored) == saved)
        var checks = 0, repaired = 0
        for step in 7...10 {
            let (outputs, report) = try Self.run(&original, step: step, host: host)
            let (restoredOutputs, restoredReport) = try Self.run(&restored, step: step, host: host)
            #expect(restoredOutputs == outputs)
            #expect(restoredReport == report)
            #expect(restored.controller.counters == original.controller.counters)
            #expect(restored.chip.costs == original.chip.costs)
            checks += report.checks
            repaired += report.weightsRepaired
        }
        // The continuation checked and repaired, so the controller's state was put to work.
        #expect(checks >= 3 && repaired >= 1)
        #expect(restored == original)
        #expect(try StateCoding.encode(restored) == StateCoding.encode(original))
    }

    /// The same state gives the same bytes, also from a restored copy whose dictionaries and sets hash in
    /// another order.
    @Test func theEncodingIsDeterministic() throws {
        let (state, _) = try Self.deployment.get()
        let bytes = try StateCoding.encode(state)
        #expect(try StateCoding.encode(state) == bytes)
        var copy = try StateCoding.decode(Saved.self, from: bytes, path: "state.json")
        #expect(try StateCoding.encode(copy) == bytes)
        copy.controller = try StateCoding.decode(DeviceController.self, from: StateCoding.encode(copy.controller),
                                                 path: "controller.json")
        #expect(try StateCoding.encode(copy) == bytes)
    }

    @Test func aDamagedCheckpointIsRefusedWithItsPlace() throws {
        let (state, _) = try Self.deployment.get()
        var json = try #require(String(data: StateCoding.encode(state.controller), encoding: .utf8))
        json = json.replacingOccurrences(of: "\"seed\":5", with: "\"seed\":\"five\"")
        #expect(throws: ACIMError.malformedFile(path: "c.json", reason: "not saved DeviceController state: at seed: expected UInt64")) {
            try StateCoding.decode(DeviceController.self, from: Data(json.utf8), path: "c.json")
        }
    }
}
