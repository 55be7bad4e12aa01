import ACIMArray
import ACIMCore
import Testing
@testable import ACIMChip

/// The device controller of a whole chip: one store, one maintenance call, counters that add up, the
/// ground truth apart, a bounded log, and time left to the chip.
@Suite struct ChipControllerTests {
    static let ids = [ArrayID(tile: 0, slot: 1), ArrayID(tile: 2, slot: 0), ArrayID(tile: 3, slot: 3)]

    /// Three arrays of ideal cells with a little read noise mapped on the chip, their master weights on the
    /// host, deployed at time 0.
    static func deployed(_ config: DeviceControllerConfig = DeviceControllerConfig())
        throws -> (Chip, DeviceController, MasterWeights, MaintenanceReport) {
        var chip = try ChipTests.chip(model: .ideal, readNoise: 0.05e-6)
        var host = MasterWeights()
        for (k, id) in ids.enumerated() {
            let weights = ChipTests.weights(UInt64(10 + k))
            host.set(weights, for: id)
            try chip.map(id, weights: weights, seed: 1)
        }
        var controller = try DeviceController(config: config, seed: 1)
        let report = try controller.deploy(&chip, host: host)
        return (chip, controller, host, report)
    }

    /// Exact cells read through a coarse ADC: a check sum on a rounding midpoint decodes exactly half a code
    /// step away, which the tolerance allows; nothing is flagged, whatever the number of rows.
    @Test(arguments: [64, 100, 150, 216, 256]) func exactCellsAreNeverFlagged(rows: Int) throws {
        var crossbar = CrossbarConfig()
        crossbar.device.gMax = Quantity(25e-6)
        var tile = TileConfig()
        tile.arrays = 1
        var chipConfig = ChipConfig()
        (chipConfig.tiles, chipConfig.meshRows, chipConfig.meshCols) = (1, 1, 1)
        var chip = try Chip(technology: TechnologyConfig(), crossbar: crossbar, tile: tile, chip: chipConfig,
                            controller: DeviceControllerConfig(), energy: ChipEnergy(), area: AreaConfig())
        var rng = RandomStream(seed: 5, purpose: .userInput)
        let weights = Matrix<Int32>(rows: rows, columns: 32) { _, _ in Int32(rng.next() % 255) - 127 }
        let id = ArrayID(tile: 0, slot: 0)
        try chip.map(id, weights: weights, seed: 1)
        var controller = try DeviceController(config: chip.controller, seed: 1)
        _ = try controller.deploy(&chip, host: MasterWeights([id: weights]))
        var audit: DetectionAudit?
        let report = try controller.maintain(&chip, force: true, host: nil, audit: &audit)
        #expect(report.total.checksRun == 1)
        #expect(report.total.columnsFlagged == 0 && report.total.cellsReprogrammed == 0)
    }

    @Test func deploymentProgramsEveryArrayFromOneStore() throws {
        let (chip, controller, host, report) = try Self.deployed()
        #expect(Set(controller.arrays.keys) == Set(Self.ids))
        // 32 x 4 weights per array, one byte per 8-bit reference, loaded once.
        #expect(controller.storeBytes == 3 * 32 * 4)
        #expect(report.hostBytes == 3 * 32 * 4)
        #expect(report.arrays.count == 3)
        #expect(report.total.programPulses == controller.counters.programPulses)
        #expect(report.total.referenceWrites == 3 * 32 * 4)
        #expect(report.busyCycles == controller.counters.busyCycles(clock: 1e9))
        // The ledger books pulses and verify reads at their energies, per array, and adds up to the total.
        let c = report.total
        #expect(abs(report.costs.energy(.programPulse) - Double(c.programPulses) * 50e-12) < 1e-18)
        #expect(abs(report.costs.energy(.verifyRead) - Double(c.verifyReads) * 1e-12) < 1e-18)
        #expect(abs(report.costs.energy - report.energy) < 1e-18)
        #expect(report.costs.cycles == report.busyCycles)
        #expect(Set(report.costs.places) == Set(Self.ids.map { CostPlace.array($0) }))
        for id in Self.ids {
            let master = try #require(host.masterWeights(of: id))
            let managed = try ManagedCrossbar(crossbar: chip.array(id), seed: 1)
            #expect(DetectionAudit.weightError(managed, master: master).max <= 0.5)
        }
    }

    /// A degraded weight on one array is found and repaired there alone, from the references; the chip's
    /// total is the sum of the arrays' parts; the ground truth finds no false call.
    @Test func maintenanceRepairsWhereTheDamageIs() throws {
        var (chip, controller, host, _) = try Self.deployed()
        let damaged = Self.ids[1]
        let master = try #require(host.masterWeights(of: damaged))
        let row = try #require((0..<32).first { abs(master[$0, 2]) > 40 })
        try chip.withArray(damaged) { try $0.degradeWeight(row: row, output: 2, by: 0.3) }
        try chip.advance(to: 3600)
        var audit: DetectionAudit? = DetectionAudit()
        let report = try controller.maintain(&chip, host: nil, audit: &audit, truth: host)
        #expect(report.checks == 3)  // the hourly timer of every array
        #expect(report.arrays[damaged]!.cellsReprogrammed >= 1)
        for id in Self.ids where id != damaged { #expect(report.arrays[id]!.cellsReprogrammed == 0) }
        let sum = report.arrays.values.reduce(ControllerCounters(), +)
        #expect(sum.cellsReprogrammed == report.total.cellsReprogrammed && sum.testMVMs == report.total.testMVMs)
        #expect(abs(sum.upkeepEnergy - report.energy) <= 1e-12 * report.energy)
        #expect(report.hostBytes == 0)
        #expect(audit?.falsePositives == 0)
        #expect(audit?.falseNegatives == 0)
        // The controller works at the chip's time and never moves it.
        for id in Self.ids { #expect(try chip.array(id).time == 3600) }
        #expect(chip.time == 3600)
        let managed = try ManagedCrossbar(crossbar: chip.array(damaged), seed: 1)
        #expect(abs(managed.effectiveWeight(row: row, column: 2) - Double(master[row, 2])) <= 0.5)
        // Nothing is due a minute later.
        try chip.advance(to: 3660)
        var none: DetectionAudit? = nil
        #expect(try controller.maintain(&chip, host: nil, audit: &none).checks == 0)
    }

    /// New weights on a slot the controller keeps: the cells keep their wear, the read count starts again
    /// without upsetting the controller, and the chip refuses a change of the array's clock.
    @Test func newWeightsOnAUsedSlot() throws {
        var (chip, controller, _, _) = try Self.deployed()
        let id = Self.ids[0]
        let inputs = Matrix<Int32>(rows: 4, columns: 32, repeating: 1)
        _ = try chip.mvm(id, inputs: inputs, context: ReadContext(seed: 1, firstVector: 0), engine: FastEngine())
        let writes = try chip.array(id).cells.writeCount
        try chip.program(id, weights: ChipTests.weights(99), seed: 2)
        #expect(try chip.array(id).cells.writeCount == writes.map { $0 + 1 })
        try chip.advance(to: 3600)
        var none: DetectionAudit? = nil
        #expect(try controller.maintain(&chip, host: nil, audit: &none).checks == 3)
        #expect(throws: ACIMError.self) { try chip.withArray(id) { $0.setTime(7200) } }
        #expect(try chip.array(id).time == 3600)
    }

    @Test func countersAddFieldByField() {
        var a = ControllerCounters()
        a.checksRun = 2
        a.programEnergy = 0.5
        a.hostBytesTransferred = 7
        var b = ControllerCounters()
        b.checksRun = 3
        b.programEnergy = 0.25
        b.stuckCells = 1
        let sum = a + b
        #expect(sum.checksRun == 5 && sum.stuckCells == 1 && sum.hostBytesTransferred == 7)
        #expect(sum.programEnergy == 0.75)
        #expect(sum - b == a)
    }

    /// The log keeps the newest events within its capacity, however many checks run.
    @Test func theEventLogIsBounded() throws {
        var config = DeviceControllerConfig()
        config.eventLog = 5
        var (chip, controller, _, _) = try Self.deployed(config)
        var none: DetectionAudit? = nil
        for hour in 1...20 {
            try chip.advance(to: Double(hour) * 3600)
            _ = try controller.maintain(&chip, host: nil, audit: &none)
        }
        let unit = try #require(controller.arrays[Self.ids[0]])
        #expect(unit.counters.checksRun == 20)
        #expect(unit.log.recorded >= 20)
        #expect(unit.events.count == 5)
        #expect(unit.log.dropped == unit.log.recorded - 5)
        // Oldest first, ending with the last check.
        #expect(unit.events.map(\.time) == unit.events.map(\.time).sorted())
        #expect(unit.events.last?.time == Double(20 * 3600))
        var log = ControllerLog(capacity: 3)
        for k in 0..<7 { log.append(ControllerEvent(time: Double(k), kind: .checkTriggered([.forced]))) }
        #expect(log.events.map(\.time) == [4, 5, 6])
    }
}
