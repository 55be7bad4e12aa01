import ACIMCore
import Foundation
import Testing
@testable import ACIMArray

/// Aging beyond the device model: Arrhenius retention, read disturb, stuck-at faults,
/// endurance and the temperature read-out, as formulas and through the crossbar.
@Suite struct DeviceAgingTests {
    let boltzmann = 8.617333262e-5

    /// Typical values of every effect (their defaults are off).
    var mechanisms: CellAgingConfig {
        var aging = CellAgingConfig()
        aging.retentionTime = Quantity(1e7)
        aging.readDisturb = 1e-4
        aging.readDisturbStd = 5e-5
        aging.stuckProbability = 1e-6
        aging.temperatureCoefficient = -0.002
        return aging
    }

    @Test func formulas() {
        let aging = mechanisms
        #expect(abs(aging.retention(elapsed: 1e7, temperature: 300) - exp(-1)) < 1e-15)
        #expect(aging.retention(elapsed: 0, temperature: 400) == 1)
        // Arrhenius: tau(350 K) = tau_ref exp(Ea/k (1/350 - 1/300)), about 250x shorter.
        let tau350 = 1e7 * exp(1.0 / boltzmann * (1 / 350.0 - 1 / 300.0))
        #expect(abs(aging.retention(elapsed: 1e5, temperature: 350) / exp(-1e5 / tau350) - 1) < 1e-12)
        #expect(tau350 < 1e7 / 200 && tau350 > 1e7 / 300)
        // Colder keeps charge longer.
        #expect(aging.retention(elapsed: 1e7, temperature: 280) > exp(-1))
        #expect(aging.stuckProbability(writes: 0) == 1e-6)
        #expect(abs(aging.stuckProbability(writes: 100_000) - 2e-6) < 1e-18)
        #expect(abs(aging.readoutFactor(temperature: 310, programmedAt: 300) - 0.98) < 1e-15)
        #expect(abs(aging.readoutFactor(temperature: 290, programmedAt: 300) - 1.02) < 1e-15)
        #expect(aging.isActive && !CellAgingConfig().isActive)
        #expect(CellAgingConfig().retention(elapsed: 1e9, temperature: 400) == 1)
    }

    func ideal(_ edit: (inout CellAgingConfig) -> Void) -> CellDeviceConfig {
        var device = CellDeviceConfig()
        device.gMin = Quantity(1e-6)
        edit(&device.aging)
        return device
    }

    /// The first cell programmed to a non-zero level.
    func onCell(_ crossbar: Crossbar) throws -> Int {
        try #require(crossbar.cells.levels.firstIndex { $0 > 0 })
    }

    @Test func retentionDecaysTowardsGMinFasterWhenHot() throws {
        var crossbar = try DeviceArray.programmed(ideal { $0.retentionTime = Quantity(1e7) })
        let index = try onCell(crossbar)
        let g0 = Double(crossbar.cells.conductance[index])
        crossbar.setTime(1e7)
        #expect(abs(crossbar.readNow(index) - (1e-6 + (g0 - 1e-6) / exp(1))) < 1e-15)
        // The readout holds these conductances in level units.
        #expect(try crossbar.readoutDeviation() < materializationTolerance)
        // 10 K hotter: tau(310 K) = tau_ref exp(Ea/k (1/310 - 1/300)) = 0.287 tau_ref.
        crossbar.setTime(1e7, temperature: 310)
        let tau = 1e7 * exp(1.0 / boltzmann * (1 / 310.0 - 1 / 300.0))
        #expect(abs(tau / 1e7 - 0.287) < 1e-3)
        #expect(abs(crossbar.readNow(index) - (1e-6 + (g0 - 1e-6) * exp(-1e7 / tau))) < 1e-15)
    }

    @Test func temperatureReadOutIsReversible() throws {
        var crossbar = try DeviceArray.programmed(ideal { $0.temperatureCoefficient = -0.002 })
        let index = try onCell(crossbar)
        let g0 = Double(crossbar.cells.conductance[index])
        let before = try #require(crossbar.readout).levels
        crossbar.setTime(0, temperature: 320)
        #expect(abs(crossbar.readNow(index) - g0 * 0.96) < 1e-15)
        #expect(try #require(crossbar.readout).levels != before)
        crossbar.setTime(0, temperature: 300)
        #expect(crossbar.readNow(index) == g0)
        #expect(try #require(crossbar.readout).levels == before)
    }

    @Test func readDisturbGrowsWithReadsAndRestartsOnProgramming() throws {
        var crossbar = try DeviceArray.programmed(ideal {
            $0.readDisturb = 1e-4
            $0.readDisturbStd = 5e-5
        })
        let index = try onCell(crossbar)
        let g0 = Double(crossbar.cells.conductance[index])
        #expect(crossbar.readNow(index) == g0)
        crossbar.recordReads(200)
        crossbar.setTime(1)
        // n reads add N(n mu, sqrt(n) sigma) of the range g_max - g_min = 24 uS.
        let z = crossbar.deviceNormal(.readDisturb, cell: index, noise: crossbar.deviceNoise)
        let expected = g0 + 24e-6 * (200 * 1e-4 + 200.0.squareRoot() * 5e-5 * z)
        #expect(abs(crossbar.readNow(index) - expected) < 1e-15)
        #expect(abs(Double(try #require(crossbar.readout).levels[index / 16, index % 16])
                    - (expected - 1e-6) / crossbar.device.levelStep) < 1e-4)
        // Reprogramming restarts the cell's read count.
        let (i, g) = try crossbar.position(row: 0, output: 0)
        let code = try crossbar.weightCode(row: 0, output: 0)
        try crossbar.programWeight(row: 0, output: 0, to: code == 7 ? 6 : 7, seed: 4, pulse: 1)
        let cell = i * 16 + 2 * g
        #expect(crossbar.readNow(cell) == Double(crossbar.cells.conductance[cell]))
    }

    @Test func readsAtTheSameTimeTakeEffectAtTheNextSetTime() throws {
        var crossbar = try DeviceArray.programmed(ideal { $0.readDisturb = 1e-4 })
        let index = try onCell(crossbar)
        let g0 = Double(crossbar.cells.conductance[index])
        let before = try #require(crossbar.readout).levels
        crossbar.recordReads(500)
        #expect(try #require(crossbar.readout).levels == before)
        crossbar.setTime(0)
        #expect(abs(crossbar.readNow(index) - (g0 + 24e-6 * 500 * 1e-4)) < 1e-15)
        let level = Double(try #require(crossbar.readout).levels[index / 16, index % 16])
        #expect(abs(level - (g0 + 24e-6 * 0.05 - 1e-6) / crossbar.device.levelStep) < 1e-4)
        // Without read disturb, reads never invalidate the readout.
        var quiet = try DeviceArray.programmed(DeviceArray.device(.pcm))
        quiet.setTime(3600)
        let hour = try #require(quiet.readout).levels
        quiet.recordReads(500)
        quiet.setTime(3600)
        #expect(try #require(quiet.readout).levels == hour)
    }

    @Test func stuckFractionGrowsWithWrites() throws {
        var device = DeviceArray.device(.pcm)
        device.aging.stuckProbability = 1e-2
        var config = DeviceArray.config(device)
        config.array.rows = 64
        config.array.cols = 64
        var crossbar = try Crossbar(config: config, id: testArray, temperature: 300)
        let weights = Matrix<Int32>(rows: 64, columns: 32, repeating: 7)
        var survive = 1.0
        for write in 1...4 {
            try crossbar.program(weights: weights, at: Double(write), seed: UInt64(write))
            survive *= 1 - device.aging.stuckProbability(writes: UInt32(write))
            let fraction = Double(crossbar.cells.stuckFlags.filter { $0 }.count) / 4096
            let expected = 1 - survive
            #expect(abs(fraction - expected) < 4 * (expected * (1 - expected) / 4096).squareRoot(), "write \(write)")
            #expect(crossbar.cells.writeCount.max() == UInt32(write))
        }
    }

    @Test func stuckAtFaultsFreezeCellsAtEitherEnd() throws {
        var device = DeviceArray.device(.pcm)
        device.readNoiseScale = 0
        device.aging.stuckProbability = 1
        var crossbar = try DeviceArray.programmed(device)
        #expect(crossbar.cells.stuckFlags.allSatisfy { $0 })
        let values = crossbar.cells.conductance
        let high = values.filter { $0 == Float(25e-6) }.count
        #expect(values.allSatisfy { $0 == 0 || $0 == Float(25e-6) })
        #expect(high > 96 && high < 160)
        let before = try #require(crossbar.readout).levels
        crossbar.setTime(DeviceArray.oneYear)
        #expect(try #require(crossbar.readout).levels == before)
        // A stuck cell takes no new value.
        let code = try crossbar.weightCode(row: 0, output: 0)
        #expect(try !crossbar.programWeight(row: 0, output: 0, to: code == 0 ? 9 : -code, seed: 1, pulse: 1))
        #expect(crossbar.cells.conductance == values)
    }

    /// A cell a fault sticks on a later write holds the fault's conductance from then on, not a drift of
    /// its earlier programming.
    @Test func cellsStuckOnALaterWriteDoNotDriftFromTheirEarlierProgramming() throws {
        var device = DeviceArray.device(.pcm)
        device.readNoiseScale = 0
        device.aging.stuckProbability = 0.5
        var crossbar = try DeviceArray.programmed(device)
        let stuckAtFirst = crossbar.cells.stuckFlags
        let t = 1e6
        crossbar.setTime(t)
        for row in 0..<16 {
            for output in 0..<8 {
                let code = try crossbar.weightCode(row: row, output: output)
                try crossbar.programWeight(row: row, output: output, to: -code, seed: 2,
                                           pulse: UInt64(row * 8 + output))
            }
        }
        let later = crossbar.cells.stuckFlags.indices.filter { crossbar.cells.stuckFlags[$0] && !stuckAtFirst[$0] }
        let laterHigh = later.filter { crossbar.cells.conductance[$0] == Float(25e-6) }
        #expect(laterHigh.count > 5)
        for index in later {
            #expect(crossbar.readNow(index) == Double(crossbar.cells.conductance[index]), "cell \(index)")
        }
        crossbar.setTime(DeviceArray.oneYear)
        for index in laterHigh { #expect(crossbar.readNow(index) == Double(Float(25e-6))) }
    }

    @Test func enduranceSticksCellsPastTheWriteLimit() throws {
        var device = DeviceArray.device(.pcm)
        device.aging.endurance = 3
        device.programmingNoiseScale = 0.1  // every write lands well within half a level of its target
        var crossbar = try DeviceArray.programmed(device)  // write 1
        let (i, g) = try crossbar.position(row: 0, output: 0)
        let cells = [i * 16 + 2 * g, i * 16 + 2 * g + 1]
        #expect(try crossbar.programWeight(row: 0, output: 0, to: 5, seed: 1, pulse: 1))   // 2
        #expect(try crossbar.programWeight(row: 0, output: 0, to: -5, seed: 1, pulse: 2))  // 3
        #expect(cells.allSatisfy { !crossbar.cells.stuckFlags[$0] && crossbar.cells.writeCount[crossbar.cells.site(ofCell: $0)] == 3 })
        let frozen = cells.map { crossbar.cells.conductance[$0] }
        // The 4th write finds the cells worn out: they keep their conductance and the write fails.
        #expect(try !crossbar.programWeight(row: 0, output: 0, to: 5, seed: 1, pulse: 3))
        #expect(cells.allSatisfy { crossbar.cells.stuckFlags[$0] && crossbar.cells.writeCount[crossbar.cells.site(ofCell: $0)] == 4 })
        #expect(cells.map { crossbar.cells.conductance[$0] } == frozen)
        #expect(crossbar.cells.stuckFlags.filter { $0 }.count == 2)
        // Rewriting the value they hold still succeeds.
        #expect(try crossbar.programWeight(row: 0, output: 0, to: -5, seed: 1, pulse: 4))
    }
}
