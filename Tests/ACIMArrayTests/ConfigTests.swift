import ACIMCore
import Testing
@testable import ACIMArray

@Suite struct ConfigTests {
    @Test func defaultIsValid() {
        #expect(CrossbarConfig().validate().isEmpty)
    }

    @Test func layoutOfEightBitWeightsInTwoBitCells() {
        let layout = CrossbarLayout(config: CrossbarConfig())
        #expect(layout.slices == 4)            // 7 magnitude bits in 2-bit cells
        #expect(layout.columnsPerWeight == 8)  // differential pairs
        #expect(layout.weightCapacity == 32)
        #expect(layout.passes == 2)
        #expect(layout.phasesPerPass == 7)
    }

    @Test func reportsEveryBadParameterWithItsPath() {
        var config = CrossbarConfig()
        config.array.rows = 0
        config.periphery.adc.bits = 17
        config.periphery.dacBits = 4
        config.periphery.inputBits = 2
        let paths = config.validate().map { $0.path.joined(separator: ".") }
        #expect(paths.contains("array.rows"))
        #expect(paths.contains("periphery.adc.bits"))
        #expect(paths.contains("periphery.dac_bits"))
    }

    @Test func columnsPerADCMustDivideCols() {
        var config = CrossbarConfig()
        config.periphery.adc.columnsPerADC = 3
        #expect(config.validate().map { $0.path.joined(separator: ".") } == ["periphery.adc.columns_per_adc"])
    }
}
