import ACIMArray
import ACIMCore
import ACIMProfiles
import Testing

/// The MVM cost `acim mvm` reports follows the ADC's bits; the bundled profiles cost what their comments say.
@Suite struct ConverterCostTests {
    static func mvm(_ config: CrossbarConfig) throws -> QuantizedMVM {
        var rng = RandomStream(seed: 3, purpose: .userInput)
        let weights = Matrix<Float>(rows: 256, columns: 32) { _, _ in Float(rng.nextGaussian()) }
        let inputs = Matrix<Float>(rows: 4, columns: 256) { _, _ in Float(rng.nextGaussian()) }
        return try QuantizedMVM.run(weights: weights, inputs: inputs, config: config, engine: FastEngine(),
                                    array: testArray, temperature: 300, seed: 3)
    }

    @Test(arguments: [(ADCScaling.sar, 2.0, 1), (.flash, 511.0 / 255, 0), (.fixed, 1.0, 0)])
    func adcTermAtNineBitsIsTheRulesFactorOfEightBits(_ scaling: ADCScaling, energyFactor: Double, extraCycles: Int) throws {
        var config = try BundledProfileTests.load("default").crossbar
        config.periphery.adc.scaling = scaling
        let eight = try Self.mvm(config)
        config.periphery.adc.bits = 9
        let nine = try Self.mvm(config)
        #expect(nine.cost.activity.adcConversions == eight.cost.activity.adcConversions)
        let (adc, ungatedADC) = (nine.cost.ledger.energy(.adcConversion), nine.cost.ungatedLedger.energy(.adcConversion))
        #expect(abs(adc / eight.cost.ledger.energy(.adcConversion) - energyFactor) < 1e-12)
        #expect(abs(ungatedADC / eight.cost.ungatedLedger.energy(.adcConversion) - energyFactor) < 1e-12)
        // Every other event costs the same.
        let others = (nine.cost.ledger.energy - adc, eight.cost.ledger.energy - eight.cost.ledger.energy(.adcConversion))
        #expect(abs(others.0 / others.1 - 1) < 1e-12)
        // SAR: 5 instead of 4 cycles per conversion slot; 256 columns on 32 ADCs take 8 slots per phase.
        let layout = CrossbarLayout(config: config)
        let slots = eight.cost.activity.phasesRun * ((eight.mapping.mappedColumns + layout.adcCount - 1) / layout.adcCount)
        #expect(nine.cost.activity.cycles - eight.cost.activity.cycles == slots * extraCycles)
    }

    @Test(arguments: BundledProfileTests.names)
    func bundledConvertersCostTheirFiguresAtTheirOwnBits(_ name: String) throws {
        let config = try BundledProfileTests.load(name).crossbar
        let energy = config.scaledEnergy, timing = config.scaledTiming
        // ISAAC's from its Table I (a conversion with its sample-and-hold, a DAC output per 100 ns input bit),
        // the others acimsim's defaults.
        let (adc, dac) = name == "isaac-rram" ? (1.6676e-12, 390.625e-15) : (2e-12, 10e-15)
        #expect(energy.adcConversion.value == adc && energy.dacConversion.value == dac)
        #expect(timing.adcCycles == (name == "isaac-rram" ? 1 : 4) && timing.driveCycles == 1)
    }
}
