import ACIMCore
import Testing
@testable import ACIMArray

/// ADC and DAC energy and time follow their bits by the configured rule.
@Suite struct ConverterScalingTests {
    static func adc(_ scaling: ADCScaling, bits: Int, reference: Int) -> ADCConfig {
        var adc = ADCConfig()
        adc.scaling = scaling
        adc.bits = bits
        adc.referenceBits = reference
        return adc
    }

    @Test(arguments: ADCScaling.allCases)
    func energyAtTheReferenceBitsIsTheGivenEnergy(_ scaling: ADCScaling) {
        for reference in 1...16 {
            let adc = Self.adc(scaling, bits: reference, reference: reference)
            #expect(adc.conversionEnergy(reference: 2e-12) == 2e-12)
            #expect(adc.conversionCycles(reference: 4) == 4)
        }
    }

    @Test func sarEnergyDoublesPerBit() {
        for bits in 1..<16 {
            let low = Self.adc(.sar, bits: bits, reference: 8).conversionEnergy(reference: 2e-12)
            let high = Self.adc(.sar, bits: bits + 1, reference: 8).conversionEnergy(reference: 2e-12)
            #expect(high == 2 * low)
        }
        #expect(Self.adc(.sar, bits: 16, reference: 8).conversionEnergy(reference: 2e-12) == 512e-12)
        #expect(Self.adc(.sar, bits: 4, reference: 8).conversionEnergy(reference: 2e-12) == 0.125e-12)
    }

    @Test func flashEnergyFollowsItsComparators() {
        // 255 comparators at 8 bits, 15 at 4 bits.
        let e4 = Self.adc(.flash, bits: 4, reference: 8).conversionEnergy(reference: 2.55e-12)
        #expect(abs(e4 - 0.15e-12) < 1e-27)
        #expect(Self.adc(.flash, bits: 9, reference: 8).conversionEnergy(reference: 255) == 511)
        #expect(Self.adc(.fixed, bits: 12, reference: 8).conversionEnergy(reference: 2e-12) == 2e-12)
    }

    @Test func conversionCyclesFollowTheRule() {
        // SAR: the reference cycles scaled by bits / reference bits, rounded up.
        #expect([1, 4, 7, 8, 9, 16].map { Self.adc(.sar, bits: $0, reference: 8).conversionCycles(reference: 4) }
                == [1, 2, 4, 4, 5, 8])
        // One cycle per bit when the reference cycles equal the reference bits.
        #expect((1...16).map { Self.adc(.sar, bits: $0, reference: 8).conversionCycles(reference: 8) } == Array(1...16))
        // Flash and fixed: the same at any bits.
        #expect([1, 8, 16].map { Self.adc(.flash, bits: $0, reference: 8).conversionCycles(reference: 1) } == [1, 1, 1])
        #expect([1, 8, 16].map { Self.adc(.fixed, bits: $0, reference: 8).conversionCycles(reference: 4) } == [4, 4, 4])
    }

    @Test func dacEnergyAndDriveFollowDACBits() {
        var periphery = PeripheryConfig()
        periphery.dacReferenceBits = 1
        let energies = (1...4).map { bits -> Double in
            periphery.dacBits = bits
            return periphery.dacEnergy(reference: 10e-15)
        }
        #expect(energies == [1, 3, 7, 15].map { 10e-15 * $0 })
        let drive = (1...7).map { bits -> Int in
            periphery.dacBits = bits
            return periphery.driveCycles(reference: 1)
        }
        #expect(drive == [1, 2, 2, 3, 3, 4, 4])
        periphery.dacScaling = .fixed
        periphery.dacBits = 6
        #expect(periphery.dacEnergy(reference: 10e-15) == 10e-15 && periphery.driveCycles(reference: 1) == 1)
    }

    @Test func defaultsCostWhatTheTablesGive() {
        let config = CrossbarConfig()
        #expect(config.scaledEnergy == config.energy)
        #expect(config.scaledTiming == config.periphery.timing)
    }
}
