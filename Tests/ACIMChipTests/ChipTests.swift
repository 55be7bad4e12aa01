import ACIMArray
import ACIMCore
import Testing
@testable import ACIMChip

/// The chip of many arrays: slots filled on demand, one clock for all arrays, reads counted once.
@Suite struct ChipTests {
    /// A chip of 4 tiles of 4 arrays of 32x32 cells; PCM cells with read noise unless `model` says otherwise.
    static func chip(model: DeviceModelKind = .pcm, readNoise: Double = 0.2e-6) throws -> Chip {
        var crossbar = CrossbarConfig()
        crossbar.array.rows = 32
        crossbar.array.cols = 32
        crossbar.device.model = model
        crossbar.device.gMax = Quantity(25e-6)
        crossbar.device.readNoise = Quantity(readNoise)
        var tile = TileConfig()
        tile.arrays = 4
        var chip = ChipConfig()
        chip.tiles = 4
        chip.meshRows = 2
        chip.meshCols = 2
        return try Chip(technology: TechnologyConfig(), crossbar: crossbar, tile: tile, chip: chip,
                        controller: DeviceControllerConfig(), energy: ChipEnergy(), area: AreaConfig())
    }

    static func weights(_ seed: UInt64) -> Matrix<Int32> {
        var rng = RandomStream(seed: seed, purpose: .userInput)
        return Matrix(rows: 32, columns: 4) { _, _ in Int32(rng.next() % 255) - 127 }
    }

    @Test func slotsHoldNoCellsUntilUsed() throws {
        var chip = try Self.chip()
        #expect(chip.arrayIDs.count == 16)
        #expect(chip.arraysInUse.isEmpty)
        #expect(chip.arrayBytes == 0)
        try chip.program(ArrayID(tile: 2, slot: 1), weights: Self.weights(1), seed: 4)
        #expect(chip.arraysInUse == [ArrayID(tile: 2, slot: 1)])
        #expect(chip.arrayBytes == 32 * 32 * chip.bytesPerCell)
        // 8-bit differential weights in 2-bit cells: 8 cells per weight site; the FastEngine's plain and
        // packed 8-bit levels.
        let expected: Double = 7 + 24.0 / 8 + 5 + 2
        #expect(chip.bytesPerCell == expected)
        let position = chip.meshPosition(ofTile: 3)
        #expect(position.row == 1 && position.column == 1)
        #expect(throws: ACIMError.self) { try chip.array(ArrayID(tile: 0, slot: 0)) }
        #expect(throws: ACIMError.self) { try chip.program(ArrayID(tile: 4, slot: 0), weights: Self.weights(1), seed: 4) }
        #expect(throws: ACIMError.self) { try chip.program(ArrayID(tile: 0, slot: 4), weights: Self.weights(1), seed: 4) }
    }

    @Test func tilesAndArea() throws {
        let chip = try Self.chip()
        #expect(chip.clock == 1e9 && chip.temperature == 300)
        #expect(chip.tiles.count == 4)
        let last = chip.tiles[3]
        #expect(last.meshRow == 1 && last.meshColumn == 1 && last.memoryBytes == 262_144)
        #expect(last.arrays == (0..<4).map { ArrayID(tile: 3, slot: $0) })
        // Per array: 1024 cells of 0.01 um2, 4 ADCs of 3000 um2 (32 columns, 8 per ADC) and 32 word-line DACs
        // of 50 um2; per tile 4 arrays, 256 KiB of memory, a digital unit and a router; one controller.
        let array = 1024 * 0.01e-12 + 4 * 3000e-12 + 32 * 50e-12
        let tile = 4 * array + 256 * 1500e-12 + 0.05e-6 + 0.02e-6
        #expect(abs(chip.area - (4 * tile + 0.1e-6)) < 1e-18)
    }

    /// Advancing the chip gives every array exactly what advancing it alone gives, and arrays at the same
    /// time with equal weights still differ (their streams are their own).
    @Test func advanceMovesEveryArrayInUse() throws {
        var chip = try Self.chip()
        let ids = [ArrayID(tile: 0, slot: 0), ArrayID(tile: 1, slot: 3), ArrayID(tile: 3, slot: 2)]
        for id in ids { try chip.program(id, weights: Self.weights(7), seed: 2) }
        var alone = try chip.array(ids[1])
        try chip.advance(to: 86_400)
        alone.setTime(86_400, temperature: 300)
        #expect(try chip.array(ids[1]).readout!.levels == alone.readout!.levels)
        #expect(try chip.array(ids[0]).readout!.levels != chip.array(ids[2]).readout!.levels)
        for id in ids { #expect(try chip.array(id).time == 86_400) }
        // A temperature step reaches every array; time never runs backwards.
        try chip.advance(to: 90_000, temperature: 358)
        for id in ids { #expect(try chip.array(id).temperature == 358) }
        #expect(throws: ACIMError.self) { try chip.advance(to: 100) }
        #expect(throws: ACIMError.self) { try chip.advance(to: .nan) }
    }

    /// An MVM counts its reads once and does not move time.
    @Test func mvmCountsReadsOnceAndKeepsTime() throws {
        var chip = try Self.chip()
        let id = ArrayID(tile: 1, slot: 1)
        try chip.program(id, weights: Self.weights(3), seed: 2)
        try chip.advance(to: 3600)
        let inputs = Matrix<Int32>(rows: 5, columns: 32, repeating: 3)
        let before = try chip.array(id).readout!.levels
        _ = try chip.mvm(id, inputs: inputs, context: ReadContext(seed: 1, firstVector: 0), engine: FastEngine())
        _ = try chip.mvm(id, inputs: inputs, context: ReadContext(seed: 1, firstVector: 5), engine: ReferenceEngine())
        #expect(try chip.array(id).reads == 10)
        #expect(try chip.array(id).time == 3600)
        #expect(try chip.array(id).readout!.levels == before)
        #expect(throws: ACIMError.self) {
            try chip.mvm(ArrayID(tile: 0, slot: 0), inputs: inputs, context: ReadContext(seed: 1, firstVector: 0),
                         engine: FastEngine())
        }
    }

    @Test func memoryBeyondTheMachineIsRefused() throws {
        do {
            try MemoryBudget.require(1e15, for: "4 arrays")
            Issue.record("1 PB was accepted")
        } catch let error as ACIMError {
            #expect(error.description.contains("4 arrays needs about 909.5 TiB; this machine has"))
        }
    }
}

/// The chip's costs are the sum of its arrays' MVM ledgers.
@Suite struct ChipCostTests {
    @Test func chipCostsAreTheSumOfEachArraysMVMs() throws {
        var chip = try ChipTests.chip()
        let ids = [ArrayID(tile: 0, slot: 1), ArrayID(tile: 0, slot: 3), ArrayID(tile: 2, slot: 0)]
        for (k, id) in ids.enumerated() { try chip.program(id, weights: ChipTests.weights(UInt64(k)), seed: 5) }
        var rng = RandomStream(seed: 9, purpose: .userInput)
        var parts: [ArrayID: CostLedger] = [:]
        var first: UInt64 = 0
        for (k, id) in (ids + ids.prefix(2)).enumerated() {
            let inputs = Matrix<Int32>(rows: 3 + k, columns: 32) { _, _ in rng.next() % 3 == 0 ? 0 : Int32(rng.next() % 200) - 100 }
            let cost = try chip.mvm(id, inputs: inputs, context: ReadContext(seed: 1, firstVector: first),
                                    engine: FastEngine()).cost
            first += UInt64(inputs.rows)
            parts[id, default: CostLedger()] += cost.ledger
        }
        let costs = chip.costs
        #expect(costs.places == ids.map { .array($0) })
        for id in ids {
            #expect(costs.energy(at: .array(id)) == parts[id]!.energy)
            #expect(costs.cycles(at: .array(id)) == parts[id]!.cycles)
        }
        let total = ids.reduce(0.0) { $0 + parts[$1]!.energy }
        #expect(abs(costs.energy - total) <= 1e-12 * total)
        #expect(costs.cycles == ids.reduce(0) { $0 + parts[$1]!.cycles })
        let byComponent = costs.components.reduce(0.0) { $0 + costs.energy($1) }
        #expect(abs(costs.energy - byComponent) <= 1e-12 * total)
        #expect(costs.energy > 0 && costs.energy(.adcConversion) > 0)
        // Tile 0 holds two of the three arrays.
        let tile0 = costs.energy(at: .array(ids[0])) + costs.energy(at: .array(ids[1]))
        #expect(abs(costs.byTile.energy(at: .tile(0)) - tile0) <= 1e-12 * tile0)
        #expect(costs.byTile.cycles(at: .tile(0)) == costs.cycles(at: .array(ids[0])) + costs.cycles(at: .array(ids[1])))
    }
}
