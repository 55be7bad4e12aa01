import ACIMCore
import Testing
@testable import ACIMArray

/// A device controller's functional check reads the bit lines on the periphery inference uses.
@Suite struct BitLineReadTests {
    /// Eight rows of weights 3 (level 3 on each G+ column), gating off: full scale 8 x 3 = 24 at the top
    /// digit 1 with 1-bit DACs.
    private func crossbar(_ change: (inout CrossbarConfig) -> Void) throws -> Crossbar {
        var c = CrossbarConfig()
        c.array.rows = 8
        c.array.cols = 8
        c.array.bitsPerCell = 2
        c.array.weightBits = 3
        c.periphery.inputBits = 4
        c.periphery.adc.bits = 3
        c.periphery.sparsity.enabled = false
        change(&c)
        var crossbar = try Crossbar(config: c, id: ArrayID(tile: 0, slot: 0), temperature: 300)
        let weights = Matrix<Int32>(rows: 8, columns: CrossbarLayout(config: c).weightCapacity) { _, _ in 3 }
        try crossbar.program(weights: weights, seed: 1)
        return crossbar
    }

    /// Driving 5 of the 8 rows gives bit-line sums of 15 in units of one level: a unipolar 3-bit ADC over
    /// the full scale 24 has codes of 24/7 and reads 15 as code 4, 13.71; with signed column sums the ADC
    /// is bipolar, codes of 24/3, and reads 15 as code 2 (1.875 rounded), 16.
    @Test func readsWithTheADCInferenceUses() throws {
        let rows = Array(0..<5)
        let unipolar = try crossbar { _ in }.readBitLines(rows: rows, context: ReadContext(seed: 1, firstVector: 0))
        #expect(unipolar.sums[0] == 4 * (24.0 / 7))
        let bipolar = try crossbar { $0.periphery.inputEncoding = .signMagnitude }
            .readBitLines(rows: rows, context: ReadContext(seed: 1, firstVector: 0))
        #expect(bipolar.sums[0] == 16)
    }

    /// With pulse-width inputs a check drives a pulse of the top digit's width on each line: its cycles
    /// add the integration window, and its drives and cell reads count the pulse steps.
    @Test func pulseWidthChecksIntegrate() throws {
        let rows = Array(0..<5)
        let planes = try crossbar {
            $0.periphery.inputEncoding = .unsigned
            $0.periphery.conversion = .perMVM
        }.readBitLines(rows: rows, context: ReadContext(seed: 1, firstVector: 0))
        let pwm = try crossbar {
            $0.periphery.inputEncoding = .unsigned
            $0.periphery.inputDrive = .pwm
            $0.periphery.conversion = .perMVM
            $0.periphery.timing.pwmStepCycles = 2
        }.readBitLines(rows: rows, context: ReadContext(seed: 1, firstVector: 0))
        // Unsigned 4-bit inputs in one conversion: four bit planes of the top digit 15, or one pulse of 15
        // steps of 2 cycles.
        let timing = try crossbar { _ in }.config.scaledTiming
        let conversion = timing.adcCycles * planes.activity.adcConversions  // one ADC for the 8 columns
        #expect(planes.activity.cycles == 4 * (timing.driveCycles + timing.settleCycles) + conversion)
        #expect(pwm.activity.cycles == timing.driveCycles + timing.settleCycles + 30 + conversion)
        #expect(pwm.activity.wordlineDrives == 5 * 15 && planes.activity.wordlineDrives == 5 * 4)
    }
}
