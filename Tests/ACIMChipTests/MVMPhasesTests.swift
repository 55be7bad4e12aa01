import ACIMArray
import ACIMCore
import Testing
@testable import ACIMChip

/// One MVM as its events (drive, settle, conversions on the shared ADCs, shift-add) on one clock, against
/// the MVM cost model the engines count.
@Suite struct MVMPhasesTests {
    /// Two phases of 4 columns on 2 ADCs, drive 1, settle 2, conversion 3, shift-add 1, one pass:
    /// per phase 1 + 2 + 2 rounds x 3 = 9 cycles, so 9 + 9 + 1 = 19. The second phase's drive starts at 9,
    /// after the first phase's last conversions (cycles 6 to 9); each ADC converts two columns per phase.
    @Test func onePassByHand() throws {
        var timing = CrossbarTiming()
        (timing.driveCycles, timing.settleCycles, timing.adcCycles, timing.shiftAddCycles) = (1, 2, 3, 1)
        let phases = MVMPhases(timing: timing, adcCount: 2, passes: [[.init(phases: 2, columns: 4)]])
        #expect(phases.cycles == 19 && phases.events == 2 * (2 + 4) + 1)
        var tasks = ChipTasks(noc: NoC(chip: ChipConfig(), tile: TileConfig(), energy: ChipEnergy()))
        let array = ArrayID(tile: 0, slot: 0)
        let ends = phases.addEvents(to: &tasks, array: array, after: [])
        for schedule in [try tasks.graph.eventDriven(), try tasks.graph.cycleStepped()] {
            #expect(schedule.makespan == 19 && ends.map { schedule.ends[$0] } == [19])
            #expect(Array(schedule.starts[0..<8]) == [0, 1, 3, 3, 6, 6, 9, 10])
            let busy = tasks.busyCycles(schedule)
            #expect(busy[.adcs(array)] == 2 * 4 * 3 && busy[.array(array)] == 2 * 3 + 1)
        }
    }

    /// On random array configurations (rows, columns, columns per ADC, bits per phase, input encodings,
    /// every timing) with gating off, the events of one vector's MVM, scheduled alone event by event and
    /// cycle by cycle, take exactly the cycles the reference engine counts per vector.
    @Test func eventsTakeTheCostModelsCycles() throws {
        var rng = RandomStream(seed: 5, purpose: .userInput)
        func pick<T>(_ options: [T]) -> T { options[Int(rng.next() % UInt64(options.count))] }
        for _ in 0..<16 {
            var config = CrossbarConfig()
            config.array.rows = pick([8, 16, 32])
            config.array.cols = pick([8, 16, 32])
            config.array.weightBits = pick([2, 4, 8])
            config.array.bitsPerCell = pick([1, 2])
            config.periphery.adc.columnsPerADC = pick([1, 2, 4, 8].filter { config.array.cols % $0 == 0 })
            config.periphery.inputBits = pick([2, 4, 8])
            config.periphery.dacBits = pick([1, 2].filter { $0 < config.periphery.inputBits })
            config.periphery.inputEncoding = pick(InputEncoding.allCases)
            config.periphery.sparsity.enabled = false
            config.periphery.timing.driveCycles = pick([0, 1, 3])
            config.periphery.timing.settleCycles = pick([0, 1, 2])
            config.periphery.timing.adcCycles = pick([1, 4, 7])
            config.periphery.timing.shiftAddCycles = pick([0, 1, 2])
            let layout = CrossbarLayout(config: config)
            guard layout.weightCapacity >= 1 else { continue }
            var crossbar = try Crossbar(config: config, id: ArrayID(tile: 0, slot: 0), temperature: 300)
            let columns = min(layout.weightCapacity, 1 + Int(rng.next() % 4))
            let top = config.array.weightBits > 1 ? (1 << (config.array.weightBits - 1)) - 1 : 1
            let weights = Matrix<Int32>(rows: layout.logicalRows, columns: columns) { _, _ in Int32(Int(rng.next() % UInt64(2 * top + 1)) - top) }
            try crossbar.map(weights: weights, seed: 3)
            let bits = config.periphery.inputBits
            let inputs = Matrix<Int32>(rows: 3, columns: layout.logicalRows) { _, _ in Int32(1 + Int(rng.next() % UInt64((1 << (bits - 1)) - 1))) }
            let result = try ReferenceEngine().run(crossbar, inputs: inputs, context: ReadContext(seed: 1, firstVector: 0))
            let phases = MVMPhases(crossbar)
            #expect(result.cost.activity.cycles == 3 * phases.cycles)
            var tasks = ChipTasks(noc: NoC(chip: ChipConfig(), tile: TileConfig(), energy: ChipEnergy()))
            phases.addEvents(to: &tasks, array: crossbar.id, after: [])
            #expect(try tasks.graph.eventDriven().makespan == phases.cycles)
            #expect(try tasks.graph.cycleStepped().makespan == phases.cycles)
        }
    }
}
