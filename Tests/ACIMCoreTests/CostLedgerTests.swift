import ACIMCore
import Testing

/// The cost ledger: lines add, totals add up, arrays roll up into their tiles.
@Suite struct CostLedgerTests {
    static let (a, b) = (ArrayID(tile: 0, slot: 0), ArrayID(tile: 0, slot: 1))
    static let c = ArrayID(tile: 2, slot: 0)

    /// Dyadic energies (multiples of 2^-40 J), so every sum is exact whatever its order.
    static func ledger(_ id: ArrayID, adc: Double, cells: Double, cycles: Int) -> CostLedger {
        var ledger = CostLedger()
        ledger.add(adc * 0x1p-40, to: .adcConversion, at: .array(id))
        ledger.add(cells * 0x1p-40, to: .cellRead, at: .array(id))
        ledger.addBusy(cycles, at: .array(id))
        return ledger
    }

    @Test func namesAreUniqueAndStable() {
        let names = CostComponent.allCases.map(\.rawValue)
        #expect(Set(names).count == names.count)
        #expect(Set(CostComponent.allCases.map(\.label)).count == names.count)
        #expect(CostComponent.wordlineDrive.rawValue == "wordline_drive")
        #expect(CostComponent.adcConversion.rawValue == "adc_conversion")
        #expect(CostComponent(rawValue: "shift_add") == .shiftAdd)
        #expect(CostComponent.dacConversion.label == "DAC")
    }

    /// Components compare and hash by their place in the declaration, and reports list them in that order.
    @Test func componentsKeepTheirDeclaredOrder() {
        var ledger = CostLedger()
        for component in CostComponent.allCases.reversed() { ledger.add(1, to: component, at: .chip) }
        #expect(ledger.components == CostComponent.allCases)
        #expect(Set(CostComponent.allCases).count == CostComponent.allCases.count)
        for (a, b) in zip(CostComponent.allCases, CostComponent.allCases.dropFirst()) { #expect(a != b) }
    }

    @Test func totalsAddUpByComponentPlaceAndOverall() {
        let x = Self.ledger(Self.a, adc: 3, cells: 5, cycles: 100)
        let y = Self.ledger(Self.b, adc: 7, cells: 1, cycles: 40)
        let z = Self.ledger(Self.a, adc: 2, cells: 0, cycles: 10)
        #expect(x + y == y + x)
        #expect((x + y) + z == x + (y + z))
        let sum = x + y + z
        #expect(sum.energy == 18 * 0x1p-40)
        #expect(sum.energy(.adcConversion) == 12 * 0x1p-40)
        #expect(sum.energy(.cellRead) == 6 * 0x1p-40)
        #expect(sum.energy(at: .array(Self.a)) == 10 * 0x1p-40)
        #expect(sum.energy(.adcConversion, at: .array(Self.b)) == 7 * 0x1p-40)
        #expect(sum.energy(.dram) == 0)
        // Busy cycles add per place; the overall figure is resource-cycles, not latency.
        #expect(sum.cycles(at: .array(Self.a)) == 110)
        #expect(sum.cycles == 150)
        #expect(sum.components == [.cellRead, .adcConversion])
        #expect(sum.places == [.array(Self.a), .array(Self.b)])
        var accumulated = CostLedger()
        for part in [x, y, z] { accumulated += part }
        #expect(accumulated == sum)
    }

    @Test func arraysRollUpIntoTheirTiles() {
        var ledger = Self.ledger(Self.a, adc: 3, cells: 5, cycles: 100) + Self.ledger(Self.b, adc: 7, cells: 1, cycles: 40)
            + Self.ledger(Self.c, adc: 1, cells: 1, cycles: 8)
        ledger.add(4 * 0x1p-40, to: .noc, at: .chip)
        let tiles = ledger.byTile
        #expect(tiles.places == [.tile(0), .tile(2), .chip])
        #expect(tiles.energy(.adcConversion, at: .tile(0)) == 10 * 0x1p-40)
        #expect(tiles.energy(at: .tile(2)) == 2 * 0x1p-40)
        #expect(tiles.cycles(at: .tile(0)) == 140)
        #expect(tiles.energy == ledger.energy && tiles.cycles == ledger.cycles)
        // Rolling everything to the chip keeps every component's total.
        let chip = ledger.rolledUp { _ in .chip }
        #expect(chip.places == [.chip])
        for component in ledger.components { #expect(chip.energy(component) == ledger.energy(component)) }
        #expect(CostPlace.layer("fc1").tile == .layer("fc1"))
        #expect(CostPlace.array(Self.c).description == "tile 2 array 0")
    }
}
