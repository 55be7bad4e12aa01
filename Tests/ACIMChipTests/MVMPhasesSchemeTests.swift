import ACIMArray
import ACIMChip
import ACIMCore
import Testing

@Suite struct MVMPhasesSchemeTests {
    /// With one conversion per MVM, pulse-width inputs in a full window and analog differential pairs, the
    /// chip's phases of an MVM take the cycles the reference engine counts, event by event too.
    @Test(arguments: 0..<12)
    func phasesTakeTheEnginesCycles(seed: Int) throws {
        var rng = RandomStream(seed: UInt64(seed), purpose: .userInput)
        func pick<T>(_ options: [T]) -> T { options[Int(rng.next() % UInt64(options.count))] }
        var config = CrossbarConfig()
        config.array.rows = pick([8, 16, 32])
        config.array.cols = pick([8, 16, 32])
        config.array.bitsPerCell = pick([1, 2])
        config.array.weightBits = pick([3, 4])
        config.periphery.sparsity.enabled = false
        config.periphery.inputBits = pick([2, 4, 8])
        config.periphery.dacBits = pick([1, 2].filter { $0 < config.periphery.inputBits })
        config.periphery.inputEncoding = pick(InputEncoding.allCases)
        config.periphery.inputDrive = pick(InputDrive.allCases)
        config.periphery.conversion = config.periphery.inputDrive == .pwm ? .perMVM : pick(ConversionPoint.allCases)
        config.periphery.differentialReadout = pick(DifferentialReadout.allCases)
        config.periphery.adc.columnsPerADC = pick([1, 2, 4].filter { config.array.cols % $0 == 0 })
        config.periphery.timing.pwmStepCycles = pick([1, 2])
        config.periphery.timing.driveCycles = pick([0, 1, 3])
        try #require(config.validate().isEmpty, "\(config.validate())")
        let layout = CrossbarLayout(config: config)
        var crossbar = try Crossbar(config: config, id: ArrayID(tile: 0, slot: 0), temperature: 300)
        let columns = min(layout.weightCapacity, 3)
        let weights = Matrix<Int32>(rows: layout.logicalRows, columns: columns) { _, _ in Int32(Int(rng.next() % 5) - 2) }
        try crossbar.map(weights: weights, seed: 3)
        let top = config.periphery.inputEncoding == .unsigned ? (1 << config.periphery.inputBits) - 1
            : (1 << (config.periphery.inputBits - 1)) - 1
        let inputs = Matrix<Int32>(rows: 2, columns: layout.logicalRows) { _, _ in Int32(1 + Int(rng.next() % UInt64(top))) }
        let result = try ReferenceEngine().run(crossbar, inputs: inputs, context: ReadContext(seed: 1, firstVector: 0))
        let phases = MVMPhases(crossbar)
        #expect(result.cost.activity.cycles == 2 * phases.cycles)
        var tasks = ChipTasks(noc: NoC(chip: ChipConfig(), tile: TileConfig(), energy: ChipEnergy()))
        phases.addEvents(to: &tasks, array: crossbar.id, after: [])
        #expect(try tasks.graph.eventDriven().makespan == phases.cycles)
    }
}
